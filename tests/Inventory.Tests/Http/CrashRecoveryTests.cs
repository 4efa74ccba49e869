using System.Net;
using Inventory.Domain;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Http;

public class CrashRecoveryTests
{
    [Fact]
    public async Task A_process_killed_after_the_first_partition_leaves_an_order_that_is_rolled_back_after_restart()
    {
        await using var redis = RedisTarget.Create("cluster");
        var skus = redis.SkusInDistinctPartitions(2, "crash", distinctMasters: true);
        var fast = new Dictionary<string, string>
        {
            ["Inventory__Redis__RecoverAfter"] = "00:00:03",
            ["Inventory__Workers__OrderRecoveryInterval"] = "00:00:01",
        };
        await using var server = new ServerProcess(TestEnvironment.RedisCluster, redis.Options.KeyPrefix, fast);
        await server.StartAsync(new Dictionary<string, string> { ["Inventory__Faults__CrashAfterFirstPartition"] = "true" });
        await server.SetStockAsync(skus[0], 10);
        await server.SetStockAsync(skus[1], 10);
        using (var client = server.CreateClient())
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order("K1", (skus[0], 2), (skus[1], 3)))));
        }

        Assert.True(await server.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        var firstPartition = redis.NewOrder("K1", (skus[0], 2), (skus[1], 3)).Partitions[0];
        var deductedFirst = skus.Single(s => redis.Partitioner.PartitionOf(s) == firstPartition);
        Assert.Equal(OrderState.Pending, (await redis.Store.GetOrderAsync("K1"))!.State);
        Assert.True(await redis.AvailableAsync(deductedFirst) < 10, "the first partition was deducted before the crash");

        await server.StartAsync();
        using var restarted = server.CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && (await restarted.GetAsync("api/deductions/K1")).StatusCode != HttpStatusCode.NotFound)
        {
            await Task.Delay(250);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await restarted.GetAsync("api/deductions/K1")).StatusCode);
        Assert.Equal(10, await restarted.AvailableAsync(skus[0]));
        Assert.Equal(10, await restarted.AvailableAsync(skus[1]));

        // The id is free again (a failed order is not remembered) and the retry deducts everywhere once.
        var retry = await restarted.PostAsync("api/deductions", HttpCalls.Order("K1", (skus[0], 2), (skus[1], 3)));
        Assert.Equal(HttpStatusCode.OK, retry.Status);
        Assert.Equal(8, await restarted.AvailableAsync(skus[0]));
        Assert.Equal(7, await restarted.AvailableAsync(skus[1]));
    }

    [Fact]
    public async Task A_retry_of_a_pending_order_finishes_it()
    {
        await using var redis = RedisTarget.Create("cluster");
        var skus = redis.SkusInDistinctPartitions(2, "fin", distinctMasters: true);
        await using var server = new ServerProcess(TestEnvironment.RedisCluster, redis.Options.KeyPrefix);
        await server.StartAsync(new Dictionary<string, string> { ["Inventory__Faults__CrashAfterFirstPartition"] = "true" });
        await server.SetStockAsync(skus[0], 10);
        await server.SetStockAsync(skus[1], 10);
        using (var client = server.CreateClient())
        {
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order("P1", (skus[0], 1), (skus[1], 1)))));
        }

        await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await server.StartAsync();
        using var restarted = server.CreateClient();
        var retry = await restarted.PostAsync("api/deductions", HttpCalls.Order("P1", (skus[0], 1), (skus[1], 1)));

        Assert.Equal(HttpStatusCode.OK, retry.Status);
        Assert.Equal("deducted", (await restarted.GetJsonAsync("api/deductions/P1")).Body!["status"]!.GetValue<string>());
        Assert.Equal(9, await restarted.AvailableAsync(skus[0]));
        Assert.Equal(9, await restarted.AvailableAsync(skus[1]));
    }
}
