using Inventory.Domain;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Redis;

/// <summary>Red-team: per-customer counters under cancels, returns and replays racing on batched orders (rule 12).</summary>
public class CustomerCounterRaceTests
{
    public static TheoryData<string> Kinds => new() { "standalone", "cluster" };

    /// <summary>
    /// Checked sound: one batch (many orders of one customer per SKU in each call), then per order a cancel,
    /// a return and a replay all at once, single- and multi-partition. However they interleave, the customer's counter
    /// of each SKU equals the units the customer still holds (stock taken less stock given back).
    /// </summary>
    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Cancels_returns_and_replays_racing_on_batched_orders_leave_the_counter_equal_to_the_units_held(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        var skus = redis.SkusInDistinctPartitions(2, "race");
        var (a, b) = (skus[0], skus[1]);
        const string customer = "c-race";
        await redis.Store.SetStockAsync(a, 1000, null, limitPerCustomer: 1000);
        await redis.Store.SetStockAsync(b, 1000, null, limitPerCustomer: 1000);
        var orders = Enumerable.Range(0, 40).Select(i => i % 2 == 0
            ? Order(redis, $"o{i}", customer, (a, 3))
            : Order(redis, $"o{i}", customer, (a, 2), (b, 1))).ToList();

        var batched = await redis.Store.DeductManyAsync(orders);
        Assert.All(batched, o => Assert.Equal(DeductionStatus.Deducted, o.Status));

        await Task.WhenAll(orders.SelectMany(o => new Task[]
        {
            Task.Run(() => redis.Store.CancelAsync(o.OrderId)),
            Task.Run(() => redis.Store.ReturnAsync(new ReturnRequest(o.OrderId, "r1", [new OrderLine(a, 1)], ""))),
            Task.Run(() => redis.Store.DeductAsync(o)),
        }));
        // the orders no cancel reached keep standing; cancel every second one again
        foreach (var order in orders.Where((_, i) => i % 4 == 1))
        {
            await redis.Store.CancelAsync(order.OrderId);
        }

        var db = redis.Connection.GetDatabase();
        foreach (var sku in new[] { a, b })
        {
            var counter = (long)await db.HashGetAsync($"{{{redis.Options.KeyPrefix}:{redis.Partitioner.PartitionOf(sku)}}}:cu:{customer}", sku);
            Assert.Equal(1000 - await redis.AvailableAsync(sku), counter);
        }
    }

    private static Order Order(RedisTarget redis, string orderId, string customerId, params (string Sku, long Quantity)[] lines) =>
        Inventory.Domain.Order.Create(new DeductionRequest(orderId, lines.Select(l => new OrderLine(l.Sku, l.Quantity)).ToList(), customerId), redis.Partitioner);
}
