using System.Net;
using Inventory.Tests.Engine;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Checkout;

/// <summary>
/// A committed reservation is an ordinary order after Redis lost the SKU's partition too: the rebuild restores its
/// record (commit rows read as its deduction) and refills the seen filter with its id, so a retry replays and a
/// cancel restocks once, whether the order's claim survived elsewhere or was lost with the partition.
/// </summary>
public sealed class ReservationLossTests
{
    [Fact]
    public async Task Committed_orders_survive_the_loss_of_their_partition()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__Recovery__CheckInterval"] = "00:00:01";
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        var sku = $"hl-{Guid.NewGuid():N}"[..14];
        var partition = redis.Partitioner.PartitionOf(sku);
        await server.SetStockAsync(sku, 50);
        using var client = server.CreateClient();

        // One order whose claim lives elsewhere (it survives: only the record must come back), one whose claim is lost too.
        var survivor = Enumerable.Range(0, 100).Select(i => $"{sku}-o{i}").First(id => redis.Partitioner.HomeOf(id) != partition);
        var lostClaim = Enumerable.Range(0, 100).Select(i => $"{sku}-p{i}").First(id => redis.Partitioner.HomeOf(id) == partition);
        var originals = new Dictionary<string, string>();
        foreach (var (order, quantity) in new[] { (survivor, 3L), (lostClaim, 4L) })
        {
            var hold = $"h-{order}";
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(hold, 600, (sku, quantity)))).Status);
            var commit = await client.PostAsync($"api/reservations/{hold}/commit", new { orderId = order });
            Assert.Equal(HttpStatusCode.OK, commit.Status);
            originals[order] = commit.Body!.ToJsonString();
        }

        Assert.Equal(43, await client.AvailableAsync(sku));
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        // The partition restarts empty (its keys named, not scanned: the shared Redis holds other tests' keys).
        var tag = $"{{{redis.Options.KeyPrefix}:{partition}}}";
        RedisKey[] keys =
        [
            .. new[] { "stock", "seq", "journal", "marker", "pending", "seen", "held", "expiry" }.Select(k => (RedisKey)$"{tag}:{k}"),
            .. new[] { survivor, lostClaim }.Select(id => (RedisKey)$"{tag}:o:{id}"),
            (RedisKey)$"{tag}:c:{lostClaim}",
            .. new[] { survivor, lostClaim }.Select(id => (RedisKey)$"{tag}:hr:h-{id}"),
        ];
        await redis.Connection.GetDatabase().KeyDeleteAsync(keys);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        var probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{sku}-probe", (sku, 1)));
        while (probe.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{sku}-probe", (sku, 1)));
        }

        Assert.Equal(HttpStatusCode.OK, probe.Status);
        Assert.Equal(42, await client.AvailableAsync(sku));
        foreach (var (order, quantity) in new[] { (survivor, 3L), (lostClaim, 4L) })
        {
            var retry = await client.PostAsync("api/deductions", HttpCalls.Order(order, (sku, quantity)));
            Assert.Equal(HttpStatusCode.OK, retry.Status);
            Assert.Equal("true", retry.Response.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal(originals[order], retry.Body!.ToJsonString());
        }

        Assert.Equal(42, await client.AvailableAsync(sku));
        foreach (var order in new[] { survivor, lostClaim })
        {
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{order}/cancel", new { })).Status);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{order}/cancel", new { })).Status);
        }

        Assert.Equal(49, await client.AvailableAsync(sku));
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));
    }
}
