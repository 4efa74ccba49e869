using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Checkout;

/// <summary>
/// Red-team (reservations), finding 3: GET answers expired from expiresAt on, before the expiry loop ran (docs/holds.md:
/// "no commit can succeed then"), and a commit then answers 409 expired. A release in that window still moved the home
/// held -> releasing (hold_settle.lua checked no expiry for it) and answered 200 released: the reservation GET had called
/// expired ended released, with a release row in the ledger, against what GET and the commit had said.
/// </summary>
public sealed class ReservationReleasePastExpiryTests
{
    [Fact]
    public async Task A_release_after_expiresAt_answers_expired_as_GET_did_and_the_units_come_back_once()
    {
        await using var redis = RedisTarget.Create("standalone");
        var store = redis.Store;
        var sku = "rpe-" + Guid.NewGuid().ToString("N")[..8];
        var id = sku + "-h";
        await redis.SetStockAsync(sku, 10);
        Assert.Equal(HoldStatus.Held, (await store.HoldAsync(new HoldRequest(id, [new OrderLine(sku, 3)], 600, null))).Status);

        // expiresAt passes; the loop has not run yet
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        var home = redis.Partitioner.HoldHomeOf(id);
        var past = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds();
        var db = redis.Connection.GetDatabase();
        await db.HashSetAsync(keys.Hold(home, id), "x", past);
        await db.SortedSetAddAsync(keys.HoldExpiry(home), id, past);
        Assert.Equal(HoldState.Expired, (await store.GetHoldAsync(id))!.State);
        Assert.Equal(HoldSettleStatus.Expired, (await store.CommitHoldAsync(id, id + "-o")).Status);

        // before: 200 released, and GET then said released
        Assert.Equal(HoldSettleStatus.Expired, (await store.ReleaseHoldAsync(id)).Status);
        Assert.Equal(HoldState.Expired, (await store.GetHoldAsync(id))!.State);
        Assert.Equal(10, await redis.AvailableAsync(sku));
        await store.ExpireHoldsAsync();
        Assert.Equal(HoldSettleStatus.Expired, (await store.ReleaseHoldAsync(id)).Status);
        Assert.Equal(10, await redis.AvailableAsync(sku));
        var kinds = (await redis.Journal.ReadAsync(redis.Partitioner.PartitionOf(sku), "0-0", 100)).Select(e => e.Kind).ToList();
        Assert.Equal(["hold", "expire"], kinds.Where(k => k is "hold" or "release" or "expire"));
    }
}
