using Inventory.Domain;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Redis;

/// <summary>Many parallel clients against the real thing, then count.</summary>
public class ConcurrencyTests
{
    [Fact]
    public async Task Concurrent_multi_partition_orders_across_masters_deduct_exactly_their_lines_and_leave_no_partial_order()
    {
        await using var redis = RedisTarget.Create("cluster");
        var skus = redis.SkusInDistinctPartitions(3, "x", distinctMasters: true);
        Assert.Equal(3, skus.Select(s => redis.ServerOf(redis.Partitioner.PartitionOf(s))).Distinct().Count());
        foreach (var sku in skus)
        {
            await redis.SetStockAsync(sku, 300);
        }

        // Every order takes 1-3 units of two or three SKUs on different masters: stock runs out midway.
        var random = new Random(7);
        var orders = Enumerable.Range(0, 600).Select(i =>
        {
            var picked = skus.OrderBy(_ => random.Next()).Take(random.Next(2, 4)).ToList();
            return redis.NewOrder($"mx-{i}", picked.Select(s => (s, (long)random.Next(1, 4))).ToArray());
        }).ToList();

        var outcomes = await Task.WhenAll(orders.Select(o => Task.Run(() => redis.Store.DeductAsync(o))));

        var accepted = orders.Where((_, i) => outcomes[i].Status == DeductionStatus.Deducted).ToList();
        Assert.All(outcomes, o => Assert.Contains(o.Status, new[] { DeductionStatus.Deducted, DeductionStatus.Insufficient }));
        Assert.NotEmpty(accepted);
        Assert.True(accepted.Count < orders.Count, "stock should run out for some orders");
        foreach (var sku in skus)
        {
            var sold = accepted.SelectMany(o => o.Lines).Where(l => l.Sku == sku).Sum(l => l.Quantity);
            Assert.Equal(300 - sold, await redis.AvailableAsync(sku));
        }

        // No partial order: every order's records are all deducted (accepted) or none is (rejected and voided).
        var db = redis.Connection.GetDatabase();
        foreach (var (order, outcome) in orders.Zip(outcomes))
        {
            var states = await Task.WhenAll(order.Partitions.Select(p => db.HashGetAsync($"{{{redis.Options.KeyPrefix}:{p}}}:o:{order.OrderId}", "st")));
            var deducted = states.Count(s => s == "deducted");
            Assert.Equal(outcome.Status == DeductionStatus.Deducted ? order.Partitions.Length : 0, deducted);
            var view = await redis.Store.GetOrderAsync(order.OrderId);
            Assert.Equal(outcome.Status == DeductionStatus.Deducted, view is { State: OrderState.Deducted });
        }
    }

    [Theory]
    [InlineData("standalone")]
    [InlineData("cluster")]
    public async Task Parallel_replays_of_one_order_interleaved_with_others_deduct_once_and_answer_alike(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        await redis.SetStockAsync("r", 1000);

        var replays = Enumerable.Range(0, 100).Select(_ => Task.Run(() => redis.Store.DeductAsync(redis.NewOrder("R1", ("r", 3)))));
        var others = Enumerable.Range(0, 100).Select(i => Task.Run(() => redis.Store.DeductAsync(redis.NewOrder($"other-{i}", ("r", 1)))));
        var all = await Task.WhenAll(replays.Concat(others));
        var answers = all.Take(100).ToList();

        Assert.All(answers, a => Assert.Equal(DeductionStatus.Deducted, a.Status));
        Assert.Single(answers.Select(a => a.Lines.Single()).Distinct());
        Assert.Equal(99, answers.Count(a => a.Replayed));
        Assert.Equal(1000 - 3 - 100, await redis.AvailableAsync("r"));
    }

    [Fact]
    public async Task Conflicting_attempts_racing_on_one_id_let_exactly_one_stand()
    {
        await using var redis = RedisTarget.Create("cluster");
        var skus = redis.SkusInDistinctPartitions(4, "race", distinctMasters: false);
        foreach (var sku in skus)
        {
            await redis.SetStockAsync(sku, 100);
        }

        for (var round = 0; round < 20; round++)
        {
            var id = $"race-{round}";
            var outcomes = await Task.WhenAll(skus.Select(s => Task.Run(() => redis.Store.DeductAsync(redis.NewOrder(id, (s, 1))))));
            Assert.Equal(1, outcomes.Count(o => o.Status == DeductionStatus.Deducted));
            Assert.Equal(3, outcomes.Count(o => o.Status == DeductionStatus.Conflict));
        }

        var left = await Task.WhenAll(skus.Select(redis.AvailableAsync));
        Assert.Equal(4 * 100 - 20, left.Sum());
    }
}
