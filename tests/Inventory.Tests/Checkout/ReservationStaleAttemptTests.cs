using System.Net;
using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

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
}
