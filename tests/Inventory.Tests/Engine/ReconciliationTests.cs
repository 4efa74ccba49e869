using System.Net;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Engine;

public class ReconciliationTests
{
    [Fact]
    public async Task Planted_drift_is_measured_repaired_once_and_hot_skus_moving_meanwhile_show_none()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Workers__ReconcileInterval"] = "01:00:00";
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        foreach (var sku in new[] { "calm", "drifty", "hot" })
        {
            await server.SetStockAsync(sku, 100_000);
        }

        using var client = server.CreateClient();
        using var admin = server.CreateClient(ServerProcess.AdminKey);
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order($"r{i}", (i % 2 == 0 ? "calm" : "drifty", 1))))));
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        // Plant drift the way a lossy failover would: Redis changes without a journal entry.
        var db = redis.Connection.GetDatabase();
        await db.HashIncrementAsync($"{{{redis.Options.KeyPrefix}:{redis.Partitioner.PartitionOf("drifty")}}}:stock", "drifty", 7);

        // The hot SKU keeps moving during the run: it must still be checked and show no drift.
        using var load = new CancellationTokenSource();
        var hot = Task.Run(async () =>
        {
            var i = 0;
            while (!load.IsCancellationRequested)
            {
                await client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order($"hot{i++}", ("hot", 1))));
            }
        });
        var run = await admin.PostAsync("api/reconciliation/run", new { });
        await load.CancelAsync();
        await hot;

        Assert.Equal(HttpStatusCode.OK, run.Status);
        var drifted = run.Body!["drifted"]!.AsArray();
        var drift = Assert.Single(drifted);
        Assert.Equal("drifty", drift!["sku"]!.GetValue<string>());
        Assert.Equal(7, drift["redisAvailable"]!.GetValue<long>() - drift["sqlAvailable"]!.GetValue<long>());
        Assert.Equal(7, run.Body["driftUnits"]!.GetValue<long>());
        Assert.True(run.Body["skusChecked"]!.GetValue<int>() >= 3);
        Assert.Equal(100_000 - 50, await client.AvailableAsync("drifty"));

        // Repaired once: the next run finds nothing, and SQL follows the journaled repair.
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60), ledgerSumsToStock: false));
        var again = await admin.PostAsync("api/reconciliation/run", new { });
        Assert.Empty(again.Body!["drifted"]!.AsArray());
        var last = await client.GetJsonAsync("api/reconciliation");
        Assert.Equal(again.Body["finishedAt"]!.ToJsonString(), last.Body!["finishedAt"]!.ToJsonString());
        var repairs = await database.QueryAsync("select count(*) from ledger where reason = 'reconcile'", r => r.GetInt64(0));
        Assert.Equal(1, repairs.Single());
    }

    [Fact]
    public async Task The_same_drift_is_never_repaired_twice()
    {
        await using var redis = RedisTarget.Create("standalone");
        await redis.SetStockAsync("twice", 10);

        var first = await redis.Store.RepairAsync("twice", 5, 3, 0);
        var second = await redis.Store.RepairAsync("twice", 5, 3, 0);

        Assert.Equal(13, first);
        Assert.Equal(13, second);
        Assert.Equal(13, await redis.AvailableAsync("twice"));
    }
}
