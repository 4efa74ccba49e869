using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Redis;

/// <summary>
/// Red-team (cancel path), finding 5: the recovery sweep walked the homes in order and stopped at the first one it
/// could not read (its primary down, or failing over), so every later home's open cancels, returns and abandoned
/// claims waited for that node: rule 7's "a decided cancel always finishes" hung on an unrelated primary. The failing
/// home is staged by giving its pending set the wrong type (Redis answers WRONGTYPE, as it would answer an error).
/// </summary>
public sealed class SweepIsolationTests
{
    [Fact]
    public async Task A_home_the_sweep_cannot_read_does_not_keep_the_other_homes_cancels_from_finishing()
    {
        await using var redis = RedisTarget.Create("standalone", o => o.RecoverAfter = TimeSpan.Zero);
        var sku = "si-" + Guid.NewGuid().ToString("N")[..8];
        var partition = redis.Partitioner.PartitionOf(sku);
        var orderId = Enumerable.Range(0, 500).Select(i => $"{sku}-o{i}").First(id => redis.Partitioner.HomeOf(id) is not 0 && redis.Partitioner.HomeOf(id) != partition);
        await redis.SetStockAsync(sku, 10);
        Assert.Equal(DeductionStatus.Deducted, (await redis.Store.DeductAsync(redis.NewOrder(orderId, (sku, 3)))).Status);

        var db = redis.Connection.GetDatabase();
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        await db.KeyDeleteAsync(keys.Marker(partition));
        Assert.Equal(CancelStatus.Unknown, (await redis.Store.CancelAsync(orderId)).Status);
        await redis.Guard.MarkAsync(partition);
        await db.StringSetAsync(keys.Pending(0), "not a sorted set");

        // The run still fails (so the loop or timer reports it), but only after every other home was swept.
        await Assert.ThrowsAnyAsync<Exception>(() => redis.Store.RecoverAbandonedOrdersAsync());
        Assert.Equal(10, await redis.AvailableAsync(sku));
    }
}
