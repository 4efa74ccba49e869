using System.Net;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Engine;

/// <summary>
/// A lossy failover no process saw (it happened while the server restarted, or on an instance that just scaled
/// out): Redis's partition goes back behind SQL and hands SQL's sequences to new sales. The ledger finds it from data,
/// the partition is blocked and rebuilt from SQL, and every sale of both histories stands exactly once.
/// </summary>
public class DivergedHistoryTests
{
    [Fact]
    public async Task A_partition_rolled_back_behind_sql_is_found_by_the_ledger_blocked_and_rebuilt_with_every_sale_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, EngineEndToEndTests.EngineSettings(database));
        await server.StartAsync();
        await server.SetStockAsync("fork", 100);
        using var client = server.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order($"d{i}", ("fork", 1)))).Status);
        }

        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        // The replica that takes over had "fork" only through d1 (set = 1, d0 = 2, d1 = 3): d2..d4 are in SQL, not in
        // Redis. The primary's identity in this process does not change, so only the data can tell.
        var partition = redis.Partitioner.PartitionOf("fork");
        var tag = $"{{{redis.Options.KeyPrefix}:{partition}}}";
        var db = redis.Connection.GetDatabase();
        await db.HashSetAsync($"{tag}:stock", "fork", 98);
        await db.HashSetAsync($"{tag}:seq", "fork", 3);
        var lost = new[] { "d2", "d3", "d4" };
        await db.KeyDeleteAsync([
            .. lost.Select(id => (RedisKey)$"{tag}:o:{id}"),
            .. lost.Where(id => redis.Partitioner.HomeOf(id) == partition).Select(id => (RedisKey)$"{tag}:c:{id}"),
        ]);

        // New sales on the rolled-back partition take sequences 4 and 5, which SQL holds for d2 and d3.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order("n0", ("fork", 1)))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order("n1", ("fork", 2)))).Status);

        // Found, blocked, rebuilt: SQL's history (set and d0..d4 = 1..6) with n0 and n1 numbered 7 and 8 after it, Redis back on it.
        var deadline = DateTime.UtcNow.AddSeconds(90);
        await WaitForAsync(() => server.Output.Contains("diverged from SQL", StringComparison.Ordinal), deadline);
        await WaitForAsync(() => server.Output.Contains($"Redis partitions {partition} rebuilt from SQL", StringComparison.Ordinal), deadline);
        Assert.Contains("fail: Inventory.Api.Hosting.RedisPartitionBlocker", server.Output, StringComparison.Ordinal);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60), ledgerSumsToStock: true));
        Assert.Equal(100 - 5 - 3, await client.AvailableAsync("fork"));
        var state = (await checker.RedisAsync())["fork"];
        Assert.Equal((92L, 8L), (state.Available, state.Sequence));

        // Every order of both histories stands once: by Redis's records or SQL's ledger.
        foreach (var id in new[] { "d0", "d1", "d2", "d3", "d4", "n0", "n1" })
        {
            var (status, body) = await client.GetJsonAsync($"api/deductions/{id}");
            Assert.True(status == HttpStatusCode.OK, $"{id}: {status}");
            Assert.Equal("deducted", (string?)body!["status"]);
        }

        // The partition sells again, numbered after SQL's history, and a replay of a lost order stays a replay.
        var replay = await client.PostAsync("api/deductions", HttpCalls.Order("d3", ("fork", 1)));
        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order("after", ("fork", 1)))).Status);
        Assert.Equal(91, await client.AvailableAsync("fork"));
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60), ledgerSumsToStock: true));
        Assert.Equal(9L, (await checker.RedisAsync())["fork"].Sequence);
    }

    private static async Task WaitForAsync(Func<bool> condition, DateTime deadline)
    {
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(100);
        }
    }
}
