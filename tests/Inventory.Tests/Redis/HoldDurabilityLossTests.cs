using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Redis;

/// <summary>
/// Red-team (reservations, durable acknowledgements): a release, expiry or commit that no replica confirmed answers
/// 503 unknown (or is not counted by the loop), but the reservation's home had already moved to its final state
/// (released, expired, committed) and left the expiry set before the WAIT. A lossy failover of the stock partition
/// then loses the unconfirmed partition write while the home (another primary) stays final: nothing drives the
/// partition again, a retry replays the home's answer (200) over units still held, and GET says released, expired or
/// committed. The same history for cancels was red-team cancel finding 1 (CancelDurabilityTests).
/// The standalone Redis has no replica, so every WAIT fails as a stopped replica's would; the failover's loss is staged
/// by putting the stock partition's keys back as they were before the unconfirmed change (only that partition: the home
/// lives in another one, on another primary in a cluster).
/// </summary>
public sealed class HoldDurabilityLossTests
{
    [Fact]
    public async Task A_release_no_replica_confirmed_is_finished_again_after_a_failover_lost_its_restock()
    {
        await using var redis = RedisTarget.Create("standalone", o => o.RecoverAfter = TimeSpan.Zero);
        var (sku, partition, id) = Pick(redis, "hdr");
        await redis.SetStockAsync(sku, 10);
        Assert.Equal(HoldStatus.Held, (await redis.Store.HoldAsync(new HoldRequest(id, [new OrderLine(sku, 3)], 600, null))).Status);
        var before = await PartitionSnapshot.TakeAsync(redis, partition, sku, id, "");

        Assert.Equal(HoldSettleStatus.Unknown, (await Durable(redis).ReleaseHoldAsync(id)).Status);
        Assert.Equal(10, await redis.AvailableAsync(sku));
        await before.RestoreAsync();
        Assert.Equal(7, await redis.AvailableAsync(sku));

        // Nobody retries: the loop must finish the release (before: the home was released and out of the expiry set).
        await redis.Store.ExpireHoldsAsync();
        Assert.Equal(10, await redis.AvailableAsync(sku));
        Assert.Equal(0, await HeldAsync(redis, partition, sku));

        // A retry answers released once the units are back, and restocks nothing more.
        Assert.Equal(HoldSettleStatus.Released, (await redis.Store.ReleaseHoldAsync(id)).Status);
        Assert.Equal(HoldState.Released, (await redis.Store.GetHoldAsync(id))!.State);
        Assert.Equal(10, await redis.AvailableAsync(sku));
    }

    [Fact]
    public async Task A_retried_release_after_a_failover_lost_the_unconfirmed_restock_gives_the_units_back()
    {
        await using var redis = RedisTarget.Create("standalone");
        var (sku, partition, id) = Pick(redis, "hdq");
        await redis.SetStockAsync(sku, 10);
        Assert.Equal(HoldStatus.Held, (await redis.Store.HoldAsync(new HoldRequest(id, [new OrderLine(sku, 3)], 600, null))).Status);
        var before = await PartitionSnapshot.TakeAsync(redis, partition, sku, id, "");

        Assert.Equal(HoldSettleStatus.Unknown, (await Durable(redis).ReleaseHoldAsync(id)).Status);
        await before.RestoreAsync();

        // The client retries its 503 at once (before: 200 released, replayed from the home, with 3 units still held).
        var retry = await redis.Store.ReleaseHoldAsync(id);
        Assert.Equal(HoldSettleStatus.Released, retry.Status);
        Assert.Equal(10, await redis.AvailableAsync(sku));
        Assert.Equal(0, await HeldAsync(redis, partition, sku));
    }

    [Fact]
    public async Task An_expiry_no_replica_confirmed_is_finished_again_after_a_failover_lost_its_restock()
    {
        await using var redis = RedisTarget.Create("standalone", o => o.RecoverAfter = TimeSpan.Zero);
        var (sku, partition, id) = Pick(redis, "hdx");
        await redis.SetStockAsync(sku, 10);
        Assert.Equal(HoldStatus.Held, (await redis.Store.HoldAsync(new HoldRequest(id, [new OrderLine(sku, 3)], 600, null))).Status);
        await ExpireNowAsync(redis, id);
        var before = await PartitionSnapshot.TakeAsync(redis, partition, sku, id, "");

        Assert.Equal(0, await Durable(redis).ExpireHoldsAsync());
        Assert.Equal(10, await redis.AvailableAsync(sku));
        await before.RestoreAsync();

        // The next run must expire it again (before: expired on its home, out of the set, 3 units held for ever).
        await redis.Store.ExpireHoldsAsync();
        Assert.Equal(10, await redis.AvailableAsync(sku));
        Assert.Equal(0, await HeldAsync(redis, partition, sku));
        Assert.Equal(HoldState.Expired, (await redis.Store.GetHoldAsync(id))!.State);
    }

    [Fact]
    public async Task A_commit_no_replica_confirmed_converts_again_after_a_failover_lost_its_conversion()
    {
        await using var redis = RedisTarget.Create("standalone", o => o.RecoverAfter = TimeSpan.Zero);
        var (sku, partition, id) = Pick(redis, "hdc");
        var orderId = Enumerable.Range(0, 500).Select(i => $"{id}-o{i}").First(o => redis.Partitioner.HomeOf(o) != partition);
        await redis.SetStockAsync(sku, 10);
        Assert.Equal(HoldStatus.Held, (await redis.Store.HoldAsync(new HoldRequest(id, [new OrderLine(sku, 3)], 600, null))).Status);
        var before = await PartitionSnapshot.TakeAsync(redis, partition, sku, id, orderId);

        Assert.Equal(HoldSettleStatus.Unknown, (await Durable(redis).CommitHoldAsync(id, orderId)).Status);
        await before.RestoreAsync();
        Assert.Equal(3, await HeldAsync(redis, partition, sku));

        // The loop, then the client's retry: the order must be deducted where the failover lost the conversion (before:
        // 200 replayed from the home, no order record in the partition, 3 units held for ever).
        await redis.Store.ExpireHoldsAsync();
        var retry = await redis.Store.CommitHoldAsync(id, orderId);
        Assert.Equal(HoldSettleStatus.Committed, retry.Status);
        Assert.Equal(0, await HeldAsync(redis, partition, sku));
        var db = redis.Connection.GetDatabase();
        Assert.Equal("deducted", (string?)await db.HashGetAsync(new RedisKeys(redis.Options.KeyPrefix).Record(partition, orderId), "st"));
        Assert.Equal(CancelStatus.Cancelled, (await redis.Store.CancelAsync(orderId)).Status);
        Assert.Equal(10, await redis.AvailableAsync(sku));
    }

    /// <summary>A SKU and a reservation id whose home is another partition (another primary in a cluster).</summary>
    private static (string Sku, int Partition, string ReservationId) Pick(RedisTarget redis, string stem)
    {
        var sku = stem + "-" + Guid.NewGuid().ToString("N")[..8];
        var partition = redis.Partitioner.PartitionOf(sku);
        var id = Enumerable.Range(0, 500).Select(i => $"{sku}-r{i}").First(r => redis.Partitioner.HoldHomeOf(r) != partition);
        return (sku, partition, id);
    }

    private static async Task<long> HeldAsync(RedisTarget redis, int partition, string sku) =>
        (long)await redis.Connection.GetDatabase().HashGetAsync(new RedisKeys(redis.Options.KeyPrefix).Held(partition), sku);

    private static RedisInventoryStore Durable(RedisTarget redis) => new(redis.Connection, new RedisOptions
    {
        Configuration = redis.Options.Configuration,
        KeyPrefix = redis.Options.KeyPrefix,
        Partitions = redis.Options.Partitions,
        SeenFilterBits = redis.Options.SeenFilterBits,
        RecoverAfter = redis.Options.RecoverAfter,
        DurableAcknowledgements = true,
        DurableTimeoutMilliseconds = 100,
    }, redis.Partitioner, redis.Activity, TimeProvider.System);

    private static async Task ExpireNowAsync(RedisTarget redis, string reservationId)
    {
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        var home = redis.Partitioner.HoldHomeOf(reservationId);
        var past = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds();
        var db = redis.Connection.GetDatabase();
        await db.HashSetAsync(keys.Hold(home, reservationId), "x", past);
        await db.SortedSetAddAsync(keys.HoldExpiry(home), reservationId, past);
    }

    /// <summary>
    /// What a replica of the stock partition had before the unconfirmed change: its hold record, the order's record
    /// there, stock, held and sequence of the SKU, and the journal up to then (the change's entries go with the primary).
    /// </summary>
    private sealed record PartitionSnapshot(RedisTarget Redis, int Partition, string Sku, string ReservationId, string OrderId,
        byte[]? HoldRecord, byte[]? OrderRecord, long Stock, long Held, long Seq, RedisValue LastEntry)
    {
        public static async Task<PartitionSnapshot> TakeAsync(RedisTarget redis, int partition, string sku, string reservationId, string orderId)
        {
            var keys = new RedisKeys(redis.Options.KeyPrefix);
            var db = redis.Connection.GetDatabase();
            var last = await db.StreamRangeAsync(keys.Journal(partition), "-", "+", 1, StackExchange.Redis.Order.Descending);
            return new PartitionSnapshot(redis, partition, sku, reservationId, orderId,
                await db.KeyDumpAsync(keys.HoldRecord(partition, reservationId)),
                orderId.Length > 0 ? await db.KeyDumpAsync(keys.Record(partition, orderId)) : null,
                (long)await db.HashGetAsync(keys.Stock(partition), sku),
                (long)await db.HashGetAsync(keys.Held(partition), sku),
                (long)await db.HashGetAsync(keys.Sequences(partition), sku),
                last.Length > 0 ? last[0].Id : RedisValue.Null);
        }

        public async Task RestoreAsync()
        {
            var keys = new RedisKeys(Redis.Options.KeyPrefix);
            var db = Redis.Connection.GetDatabase();
            await Put(keys.HoldRecord(Partition, ReservationId), HoldRecord);
            if (OrderId.Length > 0)
            {
                await Put(keys.Record(Partition, OrderId), OrderRecord);
            }

            await db.HashSetAsync(keys.Stock(Partition), Sku, Stock);
            await db.HashSetAsync(keys.Held(Partition), Sku, Held);
            await db.HashSetAsync(keys.Sequences(Partition), Sku, Seq);
            var later = await db.StreamRangeAsync(keys.Journal(Partition), LastEntry.IsNull ? "-" : "(" + LastEntry, "+");
            if (later.Length > 0)
            {
                await db.StreamDeleteAsync(keys.Journal(Partition), later.Select(e => e.Id).ToArray());
            }

            async Task Put(RedisKey key, byte[]? dump)
            {
                await db.KeyDeleteAsync(key);
                if (dump is not null)
                {
                    await db.KeyRestoreAsync(key, dump);
                }
            }
        }
    }
}
