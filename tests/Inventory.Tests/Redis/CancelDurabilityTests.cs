using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Redis;

/// <summary>
/// Red-team (cancel path), finding 1: a durable cancel that no replica confirmed answers 503 unknown, but it had
/// already left the open cancels ({inv:h}:cancels) before its WAIT. A lossy failover of the stock partition then loses
/// the unconfirmed restock while the claim (another primary) stays cancelled: GET answers cancelled, the sweep has
/// nothing to finish, and the units never come back unless the client retries (rule 7's promise broken, in the very
/// history that motivated it: a cancel during a failover).
/// The standalone Redis has no replica, so every WAIT fails as a stopped replica's would; the failover's loss is staged
/// by putting the record, stock and sequence back as they were before the cancel.
/// </summary>
public sealed class CancelDurabilityTests
{
    [Fact]
    public async Task A_durable_cancel_no_replica_confirmed_stays_open_so_the_sweep_restocks_what_a_failover_lost()
    {
        await using var redis = RedisTarget.Create("standalone", o => o.RecoverAfter = TimeSpan.Zero);
        var durable = new RedisInventoryStore(redis.Connection, Durable(redis.Options), redis.Partitioner, redis.Activity, TimeProvider.System);
        var sku = "cd-" + Guid.NewGuid().ToString("N")[..8];
        var partition = redis.Partitioner.PartitionOf(sku);
        var orderId = Enumerable.Range(0, 500).Select(i => $"{sku}-o{i}").First(id => redis.Partitioner.HomeOf(id) != partition);
        await redis.SetStockAsync(sku, 10);
        Assert.Equal(DeductionStatus.Deducted, (await redis.Store.DeductAsync(redis.NewOrder(orderId, (sku, 3)))).Status);

        var db = redis.Connection.GetDatabase();
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        var before = await db.KeyDumpAsync(keys.Record(partition, orderId)) ?? throw new InvalidOperationException("no record");
        var seq = (long)await db.HashGetAsync(keys.Sequences(partition), sku);

        Assert.Equal(CancelStatus.Unknown, (await durable.CancelAsync(orderId)).Status);
        Assert.Equal(10, await redis.AvailableAsync(sku));

        // The stock partition fails over to a replica that never got the restock (the WAIT said so).
        await db.ExecuteAsync("RESTORE", (RedisKey)keys.Record(partition, orderId), 0, before, "REPLACE");
        await db.HashSetAsync(keys.Stock(partition), sku, 7);
        await db.HashSetAsync(keys.Sequences(partition), sku, seq);
        Assert.Equal(OrderState.Cancelled, (await redis.Store.GetOrderAsync(orderId))!.State);

        // Nobody retries: the sweep must still finish it (before: it had left the open cancels, 7 for ever).
        await durable.RecoverAbandonedOrdersAsync();
        await redis.Store.RecoverAbandonedOrdersAsync();
        Assert.Equal(10, await redis.AvailableAsync(sku));
        Assert.Equal(CancelStatus.Cancelled, (await redis.Store.CancelAsync(orderId)).Status);
        Assert.Equal(10, await redis.AvailableAsync(sku));
    }

    private static RedisOptions Durable(RedisOptions options) => new()
    {
        Configuration = options.Configuration,
        KeyPrefix = options.KeyPrefix,
        Partitions = options.Partitions,
        SeenFilterBits = options.SeenFilterBits,
        RecoverAfter = options.RecoverAfter,
        DurableAcknowledgements = true,
        DurableTimeoutMilliseconds = 100,
    };
}
