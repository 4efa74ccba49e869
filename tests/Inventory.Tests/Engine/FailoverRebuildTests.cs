using System.Net;
using Inventory.Tests.Infrastructure;
using Inventory.Tests.Redis;
using StackExchange.Redis;

namespace Inventory.Tests.Engine;

public class FailoverRebuildTests
{
    [Fact]
    public async Task After_a_failover_the_partition_is_rebuilt_from_sql_before_it_sells_again_and_replays_stay_replays()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("cluster");
        await using var server = new ServerProcess(TestEnvironment.RedisCluster, redis.Options.KeyPrefix, EngineEndToEndTests.EngineSettings(database));
        await server.StartAsync();
        await server.SetStockAsync("fr", 100);
        using var client = server.CreateClient();
        var first = await client.PostAsync("api/deductions", HttpCalls.Order("fr-1", ("fr", 3)));
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        await using var admin = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisCluster + ",allowAdmin=true");
        var primary = redis.ServerOf(redis.Partitioner.PartitionOf("fr"));
        await FailoverTests.FailoverAsync(admin, FailoverTests.ReplicaOf(admin, primary));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!server.Output.Contains("rebuilt from SQL", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.Contains("moved to another primary", server.Output, StringComparison.Ordinal);
        // The rebuild runs in the background, partition by partition: a 503 (rebuilding) is retried until it is done.
        var replay = await client.PostAsync("api/deductions", HttpCalls.Order("fr-1", ("fr", 3)));
        for (var until = DateTime.UtcNow.AddSeconds(60); replay.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < until;)
        {
            await Task.Delay(200);
            replay = await client.PostAsync("api/deductions", HttpCalls.Order("fr-1", ("fr", 3)));
        }

        var next = await client.PostAsync("api/deductions", HttpCalls.Order("fr-2", ("fr", 1)));
        Assert.Equal(first.Body!.ToJsonString(), replay.Body!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, next.Status);
        Assert.Equal(96, await client.AvailableAsync("fr"));
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));
    }
}
