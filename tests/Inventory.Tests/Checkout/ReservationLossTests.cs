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

    /// <summary>
    /// Held reservations come back with their partition: the rebuild restores the hold records, the held counts and,
    /// on a lost home, the reservation with its expiry, from the hold rows (which carry expiresAt, attempt and
    /// customer). A restored hold then releases or expires exactly once.
    /// </summary>
    [Fact]
    public async Task Held_reservations_survive_the_loss_of_their_home_and_stock_partition()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__Recovery__CheckInterval"] = "00:00:01";
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        var (a, b) = ReturnTests.TwoPartitions("hls");
        var partition = redis.Partitioner.PartitionOf(a);
        await server.SetStockAsync(a, 100);
        await server.SetStockAsync(b, 100);
        using var client = server.CreateClient();

        // Both reservations live (home) in a's partition, which is lost; b's partition survives.
        var ids = Enumerable.Range(0, 200).Select(i => $"{a}-h{i}").Where(id => redis.Partitioner.HoldHomeOf(id) == partition).Take(2).ToList();
        var (released, expiring) = (ids[0], ids[1]);
        var held = await client.PostAsync("api/reservations", new { reservationId = released, lines = new[] { new { sku = a, quantity = 2L }, new { sku = b, quantity = 1L } }, ttlSeconds = 600, customerId = "C9" });
        Assert.Equal(HttpStatusCode.OK, held.Status);
        var expiringHold = await client.PostAsync("api/reservations", ReservationTests.Hold(expiring, 30, (a, 1)));
        Assert.Equal(HttpStatusCode.OK, expiringHold.Status);
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        var tag = $"{{{redis.Options.KeyPrefix}:{partition}}}";
        RedisKey[] keys =
        [
            .. new[] { "stock", "seq", "journal", "marker", "pending", "seen", "held", "expiry" }.Select(k => (RedisKey)$"{tag}:{k}"),
            .. ids.Select(id => (RedisKey)$"{tag}:hr:{id}"),
            .. ids.Select(id => (RedisKey)$"{tag}:h:{id}"),
        ];
        await redis.Connection.GetDatabase().KeyDeleteAsync(keys);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        var probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{a}-probe", (a, 1)));
        while (probe.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{a}-probe", (a, 1)));
        }

        Assert.Equal(HttpStatusCode.OK, probe.Status);
        var view = await client.GetJsonAsync($"api/reservations/{released}");
        Assert.Equal(HttpStatusCode.OK, view.Status);
        Assert.Equal("held", view.Body!["status"]!.GetValue<string>());
        Assert.Equal(held.Body!["expiresAt"]!.ToJsonString(), view.Body["expiresAt"]!.ToJsonString());
        var replay = await client.PostAsync("api/reservations", new { reservationId = released, lines = new[] { new { sku = a, quantity = 2L }, new { sku = b, quantity = 1L } }, ttlSeconds = 600, customerId = "C9" });
        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        var stock = await client.GetJsonAsync($"api/stock/{a}");
        Assert.Equal(96, stock.Body!["available"]!.GetValue<long>());
        Assert.InRange(stock.Body["reserved"]!.GetValue<long>(), 2, 3);

        var release = await client.PostAsync($"api/reservations/{released}/release", new { });
        var again = await client.PostAsync($"api/reservations/{released}/release", new { });
        Assert.Equal(HttpStatusCode.OK, release.Status);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(100, await client.AvailableAsync(b));
        await Protocol.ClusterControl.Until(async () => (await client.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>() == 0,
            TimeSpan.FromSeconds(60), "the restored 30 s hold expired");
        Assert.Equal(99, await client.AvailableAsync(a));
        Assert.Equal("expired", (await client.GetJsonAsync($"api/reservations/{expiring}")).Body!["status"]!.GetValue<string>());
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));
        var rows = await database.QueryAsync($"select reference_id, sku, kind from ledger where reference_id in ('{released}', '{expiring}') and kind in ('release', 'expire')",
            r => (r.GetString(0), r.GetString(1), r.GetString(2)));
        Assert.Equal(new[] { (released, a, "release"), (released, b, "release"), (expiring, a, "expire") }.Order(), rows.Order());
    }
}
