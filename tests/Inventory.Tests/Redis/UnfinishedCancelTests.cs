using System.Diagnostics;
using System.Globalization;
using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Faults;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Redis;

/// <summary>
/// A cancel decided on the claim whose restock did not reach every partition (rule 7, "a decided cancel always
/// finishes"), and the durable acknowledgement of a cancel covering partitions it only marked (rule 9). Found by the
/// randomized history (seed 3004, long mode): a cancel during a primary's failover answered 503 four times, GET said
/// `cancelled`, nobody retried, and the unit never came back.
/// </summary>
public class UnfinishedCancelTests
{
    [Fact]
    public async Task A_cancel_whose_partition_was_down_restocks_through_the_sweep_without_a_retry()
    {
        await using var redis = RedisTarget.Create("standalone", o => o.RecoverAfter = TimeSpan.Zero);
        var sku = "uc-" + Guid.NewGuid().ToString("N")[..8];
        var partition = redis.Partitioner.PartitionOf(sku);
        var orderId = Enumerable.Range(0, 500).Select(i => $"{sku}-o{i}").First(id => redis.Partitioner.HomeOf(id) != partition);
        await redis.SetStockAsync(sku, 10);
        Assert.Equal(DeductionStatus.Deducted, (await redis.Store.DeductAsync(redis.NewOrder(orderId, (sku, 3)))).Status);

        // The stock partition refuses (as while it is rebuilt): the claim is cancelled, the restock did not happen.
        var db = redis.Connection.GetDatabase();
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        await db.KeyDeleteAsync(keys.Marker(partition));
        Assert.Equal(CancelStatus.Unknown, (await redis.Store.CancelAsync(orderId)).Status);
        Assert.Equal(OrderState.Cancelled, (await redis.Store.GetOrderAsync(orderId))!.State);
        await redis.Guard.MarkAsync(partition);
        Assert.Equal(7, await redis.AvailableAsync(sku));

        // No client retries: the sweep finishes it, once.
        Assert.True(await redis.Store.RecoverAbandonedOrdersAsync() >= 1);
        Assert.Equal(10, await redis.AvailableAsync(sku));
        await redis.Store.RecoverAbandonedOrdersAsync();
        var retry = await redis.Store.CancelAsync(orderId);
        Assert.Equal(CancelStatus.Cancelled, retry.Status);
        Assert.True(retry.Replayed);
        Assert.Equal(10, await redis.AvailableAsync(sku));
        Assert.Equal(0, await db.SortedSetLengthAsync($"{{{redis.Options.KeyPrefix}:{redis.Partitioner.HomeOf(orderId)}}}:cancels"));
    }

    [Fact]
    public async Task A_finished_cancel_leaves_nothing_for_the_sweep()
    {
        await using var redis = RedisTarget.Create("standalone", o => o.RecoverAfter = TimeSpan.Zero);
        var sku = "uf-" + Guid.NewGuid().ToString("N")[..8];
        await redis.SetStockAsync(sku, 10);
        await redis.Store.DeductAsync(redis.NewOrder($"{sku}-o", (sku, 3)));

        Assert.Equal(CancelStatus.Cancelled, (await redis.Store.CancelAsync($"{sku}-o")).Status);

        var home = redis.Partitioner.HomeOf($"{sku}-o");
        Assert.Equal(0, await redis.Connection.GetDatabase().SortedSetLengthAsync($"{{{redis.Options.KeyPrefix}:{home}}}:cancels"));
        Assert.Equal(10, await redis.AvailableAsync(sku));
    }

    [Fact]
    public async Task A_durable_cancel_waits_on_a_partition_it_only_marked_cancelled()
    {
        await using var redis = RedisTarget.Create("cluster", o =>
        {
            o.DurableAcknowledgements = true;
            o.DurableTimeoutMilliseconds = 1000;
        });
        var skus = redis.SkusInDistinctPartitions(2, "ucw", distinctMasters: true);
        var (a, b) = (skus[0], skus[1]);
        var (pa, pb) = (redis.Partitioner.PartitionOf(a), redis.Partitioner.PartitionOf(b));
        var orderId = Enumerable.Range(0, 2000).Select(i => $"{a}-o{i}").First(id => redis.ServerOf(redis.Partitioner.HomeOf(id)) == redis.ServerOf(pa));
        await redis.SetStockAsync(a, 5);
        await redis.SetStockAsync(b, 5);
        Assert.Equal(DeductionStatus.Deducted, (await redis.Store.DeductAsync(redis.NewOrder(orderId, (a, 1), (b, 1)))).Status);

        // b's record gone (as after a lossy failover that SQL never saw): the cancel restocks a and only marks b, and
        // that mark is what fences a deduction of b still in flight; b's replica is stopped, so it cannot confirm it.
        await redis.Connection.GetDatabase().KeyDeleteAsync(new RedisKeys(redis.Options.KeyPrefix).Record(pb, orderId));
        var bPort = int.Parse(redis.ServerOf(pb).Split(':')[1], CultureInfo.InvariantCulture);
        var replica = (await new ClusterFaults(_ => { }).NodesAsync()).Single(n => n.MasterPort == bPort && !n.Master).Port;
        var pid = File.ReadAllText(Path.Combine(ClusterFaults.ServicesDir, "run", $"redis-{replica}.pid")).Trim();
        Signal("STOP", pid);
        CancelOutcome cancel;
        try
        {
            cancel = await redis.Store.CancelAsync(orderId);
        }
        finally
        {
            Signal("CONT", pid);
        }

        Assert.Equal(CancelStatus.Unknown, cancel.Status);
        var retry = await redis.Store.CancelAsync(orderId);
        Assert.Equal(CancelStatus.Cancelled, retry.Status);
        Assert.Equal(5, await redis.AvailableAsync(a));
    }

    private static void Signal(string signal, string pid)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
