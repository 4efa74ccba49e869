using System.Net;
using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Tests.Checkout;

/// <summary>
/// A refused hold's rollback that runs late (red-team finding 1): the request rolled attempt 1 back and answered 409;
/// the expiry loop had also picked the reservation up while it was 'releasing' (its retry time passed while the
/// request was slow) and was itself slow. The client holds the same id again (attempt 2) before the loop's
/// hold_release.lua and 'finish' of attempt 1 land. Those must not touch attempt 2: not its units, not its place in
/// the expiry set.
/// </summary>
public sealed class ReservationStaleAttemptTests(StandaloneServer fixture) : IClassFixture<StandaloneServer>
{
    [Fact]
    public async Task A_late_rollback_of_a_refused_attempt_leaves_the_next_attempt_held_and_due_to_expire()
    {
        var server = fixture.Server;
        var (a, b) = ReturnTests.TwoPartitions("hst");
        await server.SetStockAsync(a, 10);
        await server.SetStockAsync(b, 0);
        using var client = server.CreateClient();
        var id = "h-" + a;
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 1)))).Status);
        await server.SetStockAsync(b, 10);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 1)))).Status);
        Assert.Equal(8, await client.AvailableAsync(a));

        // The loop's roll-forward of attempt 1, as ReleasePartitionsAsync sends it, landing now.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        var db = redis.GetDatabase();
        var keys = new RedisKeys(server.KeyPrefix);
        var partitioner = new Partitioner(16);
        var p = partitioner.PartitionOf(a);
        var home = partitioner.HoldHomeOf(id);
        var stale = (RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldRelease,
            [keys.Stock(p), keys.Sequences(p), keys.Journal(p), keys.HoldRecord(p, id), keys.Marker(p), keys.Held(p), keys.CustomerTaken(p, "")],
            [id, "release", 1, 7200]))!;
        await db.ScriptEvaluateAsync(RedisScripts.HoldSettle, [keys.Hold(home, id), keys.HoldExpiry(home)], [id, "finish", 30000, (string?)stale.ElementAtOrDefault(1) ?? "", 1]);

        Assert.NotEqual("release", (string?)stale[0]);
        Assert.Equal(8, await client.AvailableAsync(a));
        Assert.Equal(2, (await client.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>());
        Assert.NotNull(await db.SortedSetScoreAsync(keys.HoldExpiry(home), id));

        // Attempt 2 is whole: it commits, and every unit is counted once.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/reservations/{id}/commit", new { orderId = "o-" + a })).Status);
        Assert.Equal(8, await client.AvailableAsync(a));
        Assert.Equal(9, await client.AvailableAsync(b));
        Assert.Equal(0, (await client.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>());
    }

    /// <summary>
    /// Red-team finding 2: commit C1 decided (committing A) and claimed A (go), then stalls before converting. The
    /// order's cancel moves A's claim to cancelled (its revert not yet run). A retry of the commit (or the expiry
    /// loop's roll-forward) finds the claim cancelled, reads every hold record still held and uncommits: held again.
    /// C1's conversions then land (no record of A says cancelled yet) and its 'committed' settle meets 'held'
    /// ('moved'), which ConvertAsync still answers as 200. The reservation is held at home and committed in every
    /// partition: a release is stuck (hold_release answers 'committed', so releasing never finishes), and so is its
    /// expiry.
    /// </summary>
    [Fact]
    public async Task A_commit_that_uncommits_while_an_earlier_conversion_is_in_flight_does_not_leave_a_held_reservation_with_converted_partitions()
    {
        var server = fixture.Server;
        var (a, b) = ReturnTests.TwoPartitions("hun");
        await server.SetStockAsync(a, 10);
        await server.SetStockAsync(b, 10);
        using var client = server.CreateClient();
        var id = "h-" + a;
        var orderId = "o-" + a;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 3)))).Status);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        var db = redis.GetDatabase();
        var keys = new RedisKeys(server.KeyPrefix);
        var partitioner = new Partitioner(16);
        var home = partitioner.HoldHomeOf(id);
        var order = Order.Create(new DeductionRequest(orderId, [new OrderLine(a, 2), new OrderLine(b, 3)]), partitioner);

        // C1 decides; its claim answered go at epoch 1 (not staged: nothing of it is read again).
        var decided = (RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldSettle, [keys.Hold(home, id), keys.HoldExpiry(home)], [id, "commit", 30000, orderId]))!;
        Assert.Equal("ok", (string?)decided[0]);
        // The cancel reaches A's claim; its revert has not run yet.
        await db.HashSetAsync(keys.Claim(partitioner.HomeOf(orderId), orderId), [new("st", "cancelled"), new("e", 1)]);
        // A retry of the commit: the claim refuses, nothing converted yet, so it uncommits.
        var retry = await client.PostAsync($"api/reservations/{id}/commit", new { orderId });
        Assert.Equal(HttpStatusCode.Conflict, retry.Status);

        // C1's conversions land, then (if they all converted) its settle.
        var conversions = new List<string?>();
        foreach (var p in order.Partitions)
        {
            var converted = (RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldCommit,
                [keys.Stock(p), keys.Sequences(p), keys.Journal(p), keys.Record(p, orderId), keys.Marker(p), keys.HoldRecord(p, id), keys.Held(p)],
                [orderId, id, 1, 3600, Order.FingerprintOf(order.LinesIn(p, partitioner), null), ""]))!;
            conversions.Add((string?)converted[0]);
        }

        if (conversions.All(c => c == "committed"))
        {
            var settled = (RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldSettle, [keys.Hold(home, id), keys.HoldExpiry(home)], [id, "committed", 30000, orderId, "x"]))!;
            Assert.Equal("ok", (string?)settled[0]);
        }

        // Held again after the give-up: the late conversions are refused and a release gives every unit back once
        // (before the fix both converted, C1 answered 200, and the release hung at 503 with the home 'releasing').
        Assert.All(conversions, c => Assert.Equal("cancelled", c));
        var release = await client.PostAsync($"api/reservations/{id}/release", new { });
        Assert.Equal(HttpStatusCode.OK, release.Status);
        Assert.Equal(10, await client.AvailableAsync(a));
        Assert.Equal(10, await client.AvailableAsync(b));
        Assert.Equal(0, (await client.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>());
        Assert.Equal(0, (await client.GetJsonAsync($"api/stock/{b}")).Body!["reserved"]!.GetValue<long>());
    }

    /// <summary>
    /// Red-team finding 5: a commit that converted every partition and died before its settle (home 'committing').
    /// Its retry, or the expiry loop's roll-forward, gets hold_commit.lua's replay, whose fourth element is the record's
    /// state ('deducted'), not a stream id: NoteStream parses it and throws. The retry answers 500 for ever, and the
    /// exception aborts the expiry loop's run at this reservation, so later pages and homes are never expired.
    /// </summary>
    [Fact]
    public async Task A_commit_retried_after_every_partition_converted_replays_its_conversions()
    {
        var server = fixture.Server;
        var (a, b) = ReturnTests.TwoPartitions("hrp");
        await server.SetStockAsync(a, 10);
        await server.SetStockAsync(b, 10);
        using var client = server.CreateClient();
        var id = "h-" + a;
        var orderId = "o-" + a;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 3)))).Status);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        var db = redis.GetDatabase();
        var keys = new RedisKeys(server.KeyPrefix);
        var partitioner = new Partitioner(16);
        var home = partitioner.HoldHomeOf(id);
        var order = Order.Create(new DeductionRequest(orderId, [new OrderLine(a, 2), new OrderLine(b, 3)]), partitioner);
        Assert.Equal("ok", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldSettle, [keys.Hold(home, id), keys.HoldExpiry(home)], [id, "commit", 30000, orderId]))!)[0]);
        foreach (var p in order.Partitions)
        {
            Assert.Equal("committed", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldCommit,
                [keys.Stock(p), keys.Sequences(p), keys.Journal(p), keys.Record(p, orderId), keys.Marker(p), keys.HoldRecord(p, id), keys.Held(p)],
                [orderId, id, 1, 3600, Order.FingerprintOf(order.LinesIn(p, partitioner), null), ""]))!)[0]);
        }

        var retry = await client.PostAsync($"api/reservations/{id}/commit", new { orderId });
        Assert.Equal(HttpStatusCode.OK, retry.Status);
        Assert.Equal("committed", (await client.GetJsonAsync($"api/reservations/{id}")).Body!["status"]!.GetValue<string>());
        Assert.Equal(8, await client.AvailableAsync(a));
        Assert.Equal(7, await client.AvailableAsync(b));
    }
}
