using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Redis;

/// <summary>
/// Durable acknowledgements (docs/redis-keys.md, rule 9) for reservations: a hold, commit or release is answered 200
/// only once a replica of every primary it wrote (the reservation's home, its partitions, the order's claim home)
/// confirmed it, replays included; the expiry loop counts a reservation expired only then.
/// </summary>
public class DurableHoldAcknowledgementTests
{
    [Fact]
    public async Task With_replicas_holds_commits_releases_and_expiries_are_acknowledged_and_replayed()
    {
        await using var redis = RedisTarget.Create("cluster", o =>
        {
            o.DurableAcknowledgements = true;
            o.DurableTimeoutMilliseconds = 5000;
        });
        var skus = redis.SkusInDistinctPartitions(2, "dhold", distinctMasters: true);
        await redis.SetStockAsync(skus[0], 10);
        await redis.SetStockAsync(skus[1], 10);
        OrderLine[] lines = [new(skus[0], 2), new(skus[1], 1)];
        var store = redis.Store;

        Assert.Equal(HoldStatus.Held, (await store.HoldAsync(new HoldRequest("dc", lines, 600, null))).Status);
        var replay = await store.HoldAsync(new HoldRequest("dc", lines, 600, null));
        Assert.Equal((HoldStatus.Held, true), (replay.Status, replay.Replayed));
        Assert.Equal(HoldSettleStatus.Committed, (await store.CommitHoldAsync("dc", "dc-order")).Status);
        Assert.Equal(HoldSettleStatus.Committed, (await redis.NewStore().CommitHoldAsync("dc", "dc-order")).Status);

        Assert.Equal(HoldStatus.Held, (await store.HoldAsync(new HoldRequest("dr", lines, 600, null))).Status);
        Assert.Equal(HoldSettleStatus.Released, (await store.ReleaseHoldAsync("dr")).Status);
        Assert.Equal(HoldSettleStatus.Released, (await redis.NewStore().ReleaseHoldAsync("dr")).Status);

        Assert.Equal(HoldStatus.Held, (await store.HoldAsync(new HoldRequest("dx", lines, 600, null))).Status);
        await ExpireNowAsync(redis, "dx");
        Assert.Equal(1, await store.ExpireHoldsAsync());
        Assert.Equal(HoldState.Expired, (await store.GetHoldAsync("dx"))!.State);
        Assert.Equal(8, await redis.AvailableAsync(skus[0]));
        Assert.Equal(9, await redis.AvailableAsync(skus[1]));
    }

    [Fact]
    public async Task Without_a_replica_the_answers_are_unknown_and_every_unit_moves_once()
    {
        await using var redis = RedisTarget.Create("standalone", o =>
        {
            o.DurableAcknowledgements = true;
            o.DurableTimeoutMilliseconds = 50;
        });
        await Assert.ThrowsAsync<TimeoutException>(() => redis.SetStockAsync("nodurh", 10));
        OrderLine[] lines = [new("nodurh", 2)];
        var store = redis.Store;
        var plain = new RedisInventoryStore(redis.Connection, new RedisOptions
        {
            Configuration = redis.Options.Configuration,
            KeyPrefix = redis.Options.KeyPrefix,
            Partitions = redis.Options.Partitions,
            SeenFilterBits = redis.Options.SeenFilterBits,
        }, redis.Partitioner, redis.Activity, TimeProvider.System);

        // A hold stands but is not confirmed: 503 unknown, and a retry continues it (waits again) rather than holding
        // twice. Its answer is not stored until its partitions confirmed (a replay would answer a hold a failover lost),
        // so it is still in flight: commit and release answer 404, and it expires at expiresAt.
        Assert.Equal(HoldStatus.Unknown, (await store.HoldAsync(new HoldRequest("nh", lines, 600, null))).Status);
        Assert.Equal(HoldStatus.Unknown, (await store.HoldAsync(new HoldRequest("nh", lines, 600, null))).Status);
        Assert.Equal(8, await redis.AvailableAsync("nodurh"));
        Assert.Equal(HoldSettleStatus.NotFound, (await store.CommitHoldAsync("nh", "nh-order")).Status);
        Assert.Equal(HoldSettleStatus.NotFound, (await store.ReleaseHoldAsync("nh")).Status);
        Assert.Null(await store.GetHoldAsync("nh"));

        // Holds answered while no wait was asked: the commit, release and expiry are not confirmed, so each stays
        // between states (the units moved once) and a retry or the loop drives it again.
        Assert.Equal(HoldStatus.Held, (await plain.HoldAsync(new HoldRequest("nc", lines, 600, null))).Status);
        Assert.Equal(HoldSettleStatus.Unknown, (await store.CommitHoldAsync("nc", "nc-order")).Status);
        Assert.Equal(HoldSettleStatus.Unknown, (await store.CommitHoldAsync("nc", "nc-order")).Status);
        Assert.Equal(HoldState.Held, (await store.GetHoldAsync("nc"))!.State);
        Assert.Equal(HoldSettleStatus.Committed, (await plain.CommitHoldAsync("nc", "nc-order")).Status);
        Assert.Equal(HoldState.Committed, (await store.GetHoldAsync("nc"))!.State);
        Assert.Equal(6, await redis.AvailableAsync("nodurh"));

        Assert.Equal(HoldStatus.Held, (await plain.HoldAsync(new HoldRequest("nr", lines, 600, null))).Status);
        Assert.Equal(HoldSettleStatus.Unknown, (await store.ReleaseHoldAsync("nr")).Status);
        Assert.Equal(HoldSettleStatus.Unknown, (await store.ReleaseHoldAsync("nr")).Status);
        Assert.Equal(HoldState.Released, (await store.GetHoldAsync("nr"))!.State);
        Assert.Equal(6, await redis.AvailableAsync("nodurh"));

        Assert.Equal(HoldStatus.Held, (await plain.HoldAsync(new HoldRequest("nx", lines, 600, null))).Status);
        await ExpireNowAsync(redis, "nx");
        await ExpireNowAsync(redis, "nh");
        Assert.Equal(0, await store.ExpireHoldsAsync());
        Assert.Equal(HoldState.Expired, (await store.GetHoldAsync("nx"))!.State);
        Assert.Equal(8, await redis.AvailableAsync("nodurh"));
        Assert.Equal(0, await store.ExpireHoldsAsync());
        Assert.Equal(8, await redis.AvailableAsync("nodurh"));
    }

    /// <summary>Moves a reservation's expiresAt into the past (Redis decides expiry by its own clock against it).</summary>
    private static async Task ExpireNowAsync(RedisTarget redis, string reservationId)
    {
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        var home = redis.Partitioner.HoldHomeOf(reservationId);
        var past = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds();
        var db = redis.Connection.GetDatabase();
        await db.HashSetAsync(keys.Hold(home, reservationId), "x", past);
        await db.SortedSetAddAsync(keys.HoldExpiry(home), reservationId, past);
    }
}
