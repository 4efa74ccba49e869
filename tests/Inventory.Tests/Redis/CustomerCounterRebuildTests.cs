using Inventory.Domain;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Redis;

/// <summary>
/// Red-team: the per-customer counters a rebuild writes (docs/redis-keys.md, rule 12) against a rebuild that lost its
/// lock. Every other step of a rebuild is safe to land late (stock and limits under the sequence guard, records only
/// where absent, the seen filter OR-ed in); the counters were a plain HSET.
/// </summary>
public class CustomerCounterRebuildTests
{
    public static TheoryData<string> Kinds => new() { "standalone", "cluster" };

    /// <summary>
    /// History: partition p is lost; instance A locks it, reads SQL's totals (customer c: 0 of the SKU) and stalls
    /// past its lock; B takes the lock, rebuilds and opens p; c buys the 2 units the limit allows; A's write of its
    /// stale totals lands (RedisRecovery.RestoreCustomerTakenAsync, before its MarkRebuiltAsync fails). c's counter
    /// says 0 with 2 taken, so c buys 2 more: 4 units against a limit of 2.
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_rebuild_that_lost_its_lock_does_not_rewrite_the_counters_of_a_partition_that_sells_again(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        const string sku = "limited";
        const string customer = "c1";
        await redis.Store.SetStockAsync(sku, 10, null, limitPerCustomer: 2);
        var partition = redis.Partitioner.PartitionOf(sku);
        IReadOnlyList<(string Sku, long Taken)> readByA = [(sku, 0)];

        await redis.Guard.UnmarkAsync(partition);
        Assert.True(await redis.Guard.TryLockRebuildAsync(partition, "A", TimeSpan.FromMilliseconds(300), "customer limits"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await redis.Guard.TryLockRebuildAsync(partition, "B", TimeSpan.FromSeconds(30), "customer limits"))
        {
            Assert.True(DateTime.UtcNow < deadline, "A's lock never expired");
            await Task.Delay(50);
        }

        Assert.True(await redis.Guard.RestoreCustomerTakenAsync(partition, "B", customer, readByA));
        Assert.True(await redis.Guard.MarkRebuiltAsync(partition, "B"));
        Assert.Equal(DeductionStatus.Deducted, (await redis.Store.DeductAsync(Order(redis, "o1", customer, (sku, 2)))).Status);

        // A wakes up: its write lands on a partition that sells again.
        Assert.False(await redis.Guard.RestoreCustomerTakenAsync(partition, "A", customer, readByA));

        var beyond = await redis.Store.DeductAsync(Order(redis, "o2", customer, (sku, 2)));
        Assert.Equal(DeductionStatus.LimitExceeded, beyond.Status);
        Assert.Equal(8, await redis.AvailableAsync(sku));
    }

    private static Order Order(RedisTarget redis, string orderId, string customerId, params (string Sku, long Quantity)[] lines) =>
        Inventory.Domain.Order.Create(new DeductionRequest(orderId, lines.Select(l => new OrderLine(l.Sku, l.Quantity)).ToList(), customerId), redis.Partitioner);
}
