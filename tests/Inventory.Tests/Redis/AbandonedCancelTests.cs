using System.Globalization;
using Inventory.Domain;
using Inventory.Tests.Faults;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Redis;

/// <summary>
/// Found by the randomized history (short mode, seed 8, order tceea2d8d1-6-64): a cancel of a two-partition order
/// whose second partition's primary stalled past the timeout answered 503 unknown, the client gave up without
/// retrying, and the order stayed half cancelled for good: the claim and the first partition cancelled and restocked,
/// the second partition's record still deducted (its revert, queued behind the stall, was lost with the connection). GET answered
/// <c>cancelled</c>, yet the second partition's units never came back. Now the decided cancel stays in its home's open
/// cancels and the recovery sweep finishes it (docs/redis-keys.md, rule 7).
/// </summary>
public class AbandonedCancelTests
{
    [Fact]
    public async Task A_cancel_abandoned_midway_is_rolled_forward_or_not_reported_cancelled()
    {
        var faults = new ClusterFaults(_ => { });
        await using var redis = RedisTarget.Create("cluster", o =>
        {
            o.TimeoutMilliseconds = 400;
            o.RecoverAfter = TimeSpan.FromMilliseconds(200);
        });
        var skus = redis.SkusInDistinctPartitions(2, "abandoned-cancel", distinctMasters: true);
        var stalled = redis.ServerOf(redis.Partitioner.PartitionOf(skus[1]));
        var orderId = Enumerable.Range(0, 10_000).Select(i => $"ac-{Guid.NewGuid():N}-{i}")
            .First(id => redis.ServerOf(redis.Partitioner.HomeOf(id)) != stalled);
        foreach (var sku in skus)
        {
            await redis.SetStockAsync(sku, 10);
        }

        var deducted = await redis.Store.DeductAsync(redis.NewOrder(orderId, (skus[0], 1), (skus[1], 2)));
        Assert.Equal(DeductionStatus.Deducted, deducted.Status);

        // The second partition's primary refuses writes for longer than the timeout while the cancel runs: the claim
        // (on another primary) moves to cancelled, the first partition restocks, the second one's revert stalls.
        var port = int.Parse(stalled.Split(':')[1], CultureInfo.InvariantCulture);
        Assert.Equal("OK", await ClusterFaults.CliAsync(port, "client", "pause", "3000", "write"));
        CancelOutcome cancel;
        try
        {
            cancel = await redis.Store.CancelAsync(orderId);

            // The stalled revert waits in the primary's queue; the connection dropping (as it did under the history's
            // 9 s stall, or as a server kill does) discards it.
            await ClusterFaults.CliAsync(port, "client", "kill", "type", "normal");
        }
        finally
        {
            await faults.UnpauseAndProbeAsync(port, TimeSpan.FromSeconds(30));
        }

        // The client gives up here (no retry). The sweep runs as the workers would, past RecoverAfter.
        await ClusterFaults.WaitUntilAsync("the sweep to find nothing more to recover", TimeSpan.FromSeconds(10),
            async () => await redis.Store.RecoverAbandonedOrdersAsync() == 0);
        var view = await redis.Store.GetOrderAsync(orderId);
        var first = await redis.AvailableAsync(skus[0]);
        var second = await redis.AvailableAsync(skus[1]);

        Assert.NotEqual(CancelStatus.Cancelled, cancel.Status);
        Assert.True(view?.State != OrderState.Cancelled || (first == 10 && second == 10),
            $"GET says {view?.State}, cancel answered {cancel.Status}; available {first} and {second} of 10 (1 and 2 units sold)");
    }
}
