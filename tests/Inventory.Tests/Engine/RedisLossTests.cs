using System.Net;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Engine;

public class RedisLossTests
{
    [Fact]
    public async Task A_partition_that_lost_its_data_refuses_sales_until_rebuilt_from_sql_with_replays_intact()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__Recovery__CheckInterval"] = "00:00:04";
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        await server.SetStockAsync("lossy", 100);
        using var client = server.CreateClient();
        var originals = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var answer = await client.PostAsync("api/deductions", HttpCalls.Order($"loss{i}", ("lossy", 1)));
            originals.Add(answer.Body!.ToJsonString());
        }

        await client.PostAsync("api/deductions/loss9/cancel", new { });
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        // The node restarts without persistence: every key of the partition is gone, its marker too.
        // (Named rather than scanned: the shared test Redis may hold millions of other tests' keys.)
        var partition = redis.Partitioner.PartitionOf("lossy");
        var tag = $"{{{redis.Options.KeyPrefix}:{partition}}}";
        var ids = Enumerable.Range(0, 10).Select(i => $"loss{i}").ToList();
        RedisKey[] keys =
        [
            .. new[] { "stock", "seq", "journal", "marker", "pending" }.Select(k => (RedisKey)$"{tag}:{k}"),
            .. ids.Select(id => (RedisKey)$"{tag}:o:{id}"),
            .. ids.Where(id => redis.Partitioner.HomeOf(id) == partition).Select(id => (RedisKey)$"{tag}:c:{id}"),
        ];
        await redis.Connection.GetDatabase().KeyDeleteAsync(keys);
        var during = await client.PostAsync("api/deductions", HttpCalls.Order("during-loss", ("lossy", 1)));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.Status);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        long? available = null;
        while (DateTime.UtcNow < deadline && (available = await client.AvailableAsync("lossy")) is null)
        {
            await Task.Delay(250);
        }

        Assert.Equal(91, available);

        // Stock comes back first; sales reopen once the records are restored and the partition is marked again.
        var replay = await client.PostAsync("api/deductions", HttpCalls.Order("loss3", ("lossy", 1)));
        while (replay.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            replay = await client.PostAsync("api/deductions", HttpCalls.Order("loss3", ("lossy", 1)));
        }

        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(originals[3], replay.Body!.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("api/deductions", HttpCalls.Order("loss9", ("lossy", 1)))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order("after-loss", ("lossy", 1)))).Status);
        Assert.Equal(90, await client.AvailableAsync("lossy"));
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60), ledgerSumsToStock: true));
    }

    /// <summary>
    /// Returns survive a wipe: the rebuild restores records with what returns restocked (ret), and a forgotten claim
    /// comes back from SQL with its return totals and finished returns, so a cancel restocks only the rest, a retried
    /// return id replays, and nothing more than was deducted comes back.
    /// </summary>
    [Fact]
    public async Task A_rebuilt_partition_remembers_returns_so_nothing_is_restocked_twice()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__Recovery__CheckInterval"] = "00:00:01";
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        await server.SetStockAsync("rloss", 100);
        using var client = server.CreateClient();
        var ids = Enumerable.Range(0, 8).Select(i => $"rloss{i}").ToList();
        foreach (var id in ids)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order(id, ("rloss", 3)))).Status);
        }

        // Even ids return one unit, odd ids all three.
        for (var i = 0; i < ids.Count; i++)
        {
            var returned = await client.PostAsync($"api/deductions/{ids[i]}/returns", Return("r1", i % 2 == 0 ? 1 : 3));
            Assert.Equal(HttpStatusCode.OK, returned.Status);
        }

        Assert.Equal(100 - 8 * 3 + 4 * 1 + 4 * 3, await client.AvailableAsync("rloss"));
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        // The SKU's partition restarts empty: records, claims, returns and the seen filter of ids whose home it is.
        var partition = redis.Partitioner.PartitionOf("rloss");
        var tag = $"{{{redis.Options.KeyPrefix}:{partition}}}";
        var homed = ids.Where(id => redis.Partitioner.HomeOf(id) == partition).ToList();
        RedisKey[] keys =
        [
            .. new[] { "stock", "seq", "journal", "marker", "pending", "seen", "returns" }.Select(k => (RedisKey)$"{tag}:{k}"),
            .. ids.Select(id => (RedisKey)$"{tag}:o:{id}"),
            .. homed.Select(id => (RedisKey)$"{tag}:c:{id}"),
            .. homed.Select(id => (RedisKey)$"{tag}:rn:{id}:r1"),
        ];
        await redis.Connection.GetDatabase().KeyDeleteAsync(keys);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        var probe = await client.PostAsync("api/deductions", HttpCalls.Order("rloss-after", ("rloss", 1)));
        while (probe.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            probe = await client.PostAsync("api/deductions", HttpCalls.Order("rloss-after", ("rloss", 1)));
        }

        Assert.Equal(HttpStatusCode.OK, probe.Status);
        var expected = 100 - 8 * 3 + 4 * 1 + 4 * 3 - 1;
        Assert.Equal(expected, await client.AvailableAsync("rloss"));

        for (var i = 0; i < ids.Count; i++)
        {
            // A retried return id replays without restocking again; a return beyond what is left is refused.
            var replay = await client.PostAsync($"api/deductions/{ids[i]}/returns", Return("r1", i % 2 == 0 ? 1 : 3));
            Assert.Equal(HttpStatusCode.OK, replay.Status);
            Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
            var beyond = await client.PostAsync($"api/deductions/{ids[i]}/returns", Return("r2", 3));
            Assert.Equal(HttpStatusCode.Conflict, beyond.Status);
            Assert.Equal("exceeds", beyond.Body!["status"]!.GetValue<string>());

            // A cancel restocks only what the return left: 2 units for even ids, none for odd ones.
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{ids[i]}/cancel", new { })).Status);
            expected += i % 2 == 0 ? 2 : 0;
            Assert.Equal(expected, await client.AvailableAsync("rloss"));
        }

        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60), ledgerSumsToStock: true));
    }

    private static object Return(string returnId, long quantity) =>
        new { returnId, lines = new[] { new { sku = "rloss", quantity } }, reason = "test" };
}
