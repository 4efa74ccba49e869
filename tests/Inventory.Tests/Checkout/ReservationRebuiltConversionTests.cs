using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Checkout;

/// <summary>
/// Red-team (reservations), finding 2: a commit converted one partition and stopped (the other partition could not
/// answer); the converted partition was then lost and rebuilt, which puts back the order's record from SQL's commit row
/// but not the hold record (the hold is no longer open there). The order is cancelled before the commit is retried, so
/// the retry gives the commit up, and its fence read the absent hold record as "not converted": nothing converted, so
/// the reservation went back to held (docs/holds.md says it ends committed to the cancelled order, the rest released).
/// Held again over a partition that was sold, a release answered 200 for units the order had taken, and a commit under
/// another order id never finished: 503 for ever, that order pending with part of the lines, the expiry loop retrying.
/// The partition that cannot answer is staged by removing its marker for the first attempt; the rebuild's result by
/// deleting the converted partition's hold record (ReservationHalfCommittedLossTests does the whole rebuild).
/// </summary>
public sealed class ReservationRebuiltConversionTests
{
    [Fact]
    public async Task A_give_up_counts_a_rebuilt_converted_partition_as_converted()
    {
        await using var redis = RedisTarget.Create("standalone");
        var store = redis.Store;
        var skus = redis.SkusInDistinctPartitions(2, "rrc" + Guid.NewGuid().ToString("N")[..6]);
        var (a, b) = (skus[0], skus[1]);
        var (pa, pb) = (redis.Partitioner.PartitionOf(a), redis.Partitioner.PartitionOf(b));
        var id = Enumerable.Range(0, 2000).Select(i => $"{a}-h{i}").First(x => redis.Partitioner.HoldHomeOf(x) != pa);
        var orders = Enumerable.Range(0, 2000).Select(i => $"{id}-o{i}").Where(o => redis.Partitioner.HomeOf(o) != pa).Take(2).ToList();
        var (orderId, other) = (orders[0], orders[1]);
        await redis.SetStockAsync(a, 100);
        await redis.SetStockAsync(b, 100);
        Assert.Equal(HoldStatus.Held, (await store.HoldAsync(new HoldRequest(id, [new OrderLine(a, 2), new OrderLine(b, 3)], 600, null))).Status);

        // The commit converts b's partition; a's cannot answer (rebuilding), so the reservation stays committing.
        var db = redis.Connection.GetDatabase();
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        var marker = await db.StringGetAsync(keys.Marker(pa));
        await db.KeyDeleteAsync(keys.Marker(pa));
        Assert.Equal(HoldSettleStatus.Unavailable, (await store.CommitHoldAsync(id, orderId)).Status);
        await db.StringSetAsync(keys.Marker(pa), marker);
        Assert.Equal("deducted", (string?)await db.HashGetAsync(keys.Record(pb, orderId), "st"));

        // b's partition is lost and rebuilt: the order's record comes back from the commit row, the hold record does not.
        await db.KeyDeleteAsync(keys.HoldRecord(pb, id));

        // The order is cancelled (b's 3 units come back), then the commit is retried and gives up.
        Assert.Equal(CancelStatus.Cancelled, (await store.CancelAsync(orderId)).Status);
        Assert.Equal(100, await redis.AvailableAsync(b));
        Assert.Equal(HoldSettleStatus.Conflict, (await store.CommitHoldAsync(id, orderId)).Status);

        // Part of it was sold: the reservation ends committed to the cancelled order and a's units are released
        // (before: held again, a's 2 units still held, and the commit below answered 503 for ever).
        var view = await store.GetHoldAsync(id);
        Assert.Equal((HoldState.Committed, orderId), (view!.State, view.OrderId));
        Assert.Equal(100, await redis.AvailableAsync(a));
        Assert.Equal(HoldSettleStatus.Conflict, (await store.CommitHoldAsync(id, other)).Status);
        Assert.Equal(HoldSettleStatus.Committed, (await store.ReleaseHoldAsync(id)).Status);
        Assert.Equal(100, await redis.AvailableAsync(a));
        Assert.Equal(100, await redis.AvailableAsync(b));
        Assert.Null(await store.GetOrderAsync(other));
    }
}
