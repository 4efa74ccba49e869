using Inventory.Domain;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Redis;

public class DurableAcknowledgementTests
{
    [Fact]
    public async Task With_a_replica_a_durable_deduction_is_acknowledged()
    {
        // A generous wait: a busy machine's replicas can lag the default 200 ms, which is not what this case is about.
        await using var redis = RedisTarget.Create("cluster", o =>
        {
            o.DurableAcknowledgements = true;
            o.DurableTimeoutMilliseconds = 5000;
        });
        var skus = redis.SkusInDistinctPartitions(2, "dur", distinctMasters: true);
        await redis.SetStockAsync(skus[0], 5);
        await redis.SetStockAsync(skus[1], 5);

        var single = await redis.Store.DeductAsync(redis.NewOrder("d1", (skus[0], 1)));
        var multi = await redis.Store.DeductAsync(redis.NewOrder("d2", (skus[0], 1), (skus[1], 1)));

        Assert.Equal(DeductionStatus.Deducted, single.Status);
        Assert.Equal(DeductionStatus.Deducted, multi.Status);
        Assert.Equal(3, await redis.AvailableAsync(skus[0]));
    }

    [Fact]
    public async Task Without_a_replica_the_answer_is_unknown_and_a_retry_never_deducts_twice()
    {
        await using var redis = RedisTarget.Create("standalone", o =>
        {
            o.DurableAcknowledgements = true;
            o.DurableTimeoutMilliseconds = 50;
        });
        // Stock writes wait for a replica too: the set stands, but its answer is a timeout (retry to confirm).
        await Assert.ThrowsAsync<TimeoutException>(() => redis.SetStockAsync("nodur", 5));
        Assert.Equal(5, await redis.AvailableAsync("nodur"));

        var first = await redis.Store.DeductAsync(redis.NewOrder("n1", ("nodur", 2)));
        var retry = await redis.Store.DeductAsync(redis.NewOrder("n1", ("nodur", 2)));

        Assert.Equal(DeductionStatus.Unknown, first.Status);
        Assert.Equal(DeductionStatus.Unknown, retry.Status);
        Assert.Equal(3, await redis.AvailableAsync("nodur"));
    }
}
