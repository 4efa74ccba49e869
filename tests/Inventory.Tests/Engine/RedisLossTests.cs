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
}
