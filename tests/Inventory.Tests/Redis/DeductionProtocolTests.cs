using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Redis;

/// <summary>Every rule of docs/redis-keys.md, on a standalone Redis and on the 3-master cluster.</summary>
public class DeductionProtocolTests
{
    public static TheoryData<string> Kinds => new() { "standalone", "cluster" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Replay_returns_the_original_answer_after_other_orders_and_deducts_nothing_more(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        await redis.SetStockAsync("phone", 10);

        var first = await redis.Store.DeductAsync(redis.NewOrder("A100", ("phone", 2)));
        await redis.Store.DeductAsync(redis.NewOrder("A101", ("phone", 3)));
        var replay = await redis.Store.DeductAsync(redis.NewOrder("A100", ("phone", 2)));

        Assert.Equal(DeductionStatus.Deducted, first.Status);
        Assert.False(first.Replayed);
        Assert.True(replay.Replayed);
        Assert.Equal(first.Lines, replay.Lines);
        Assert.Equal([new LineResult("phone", 2, 8)], replay.Lines);
        Assert.Equal(5, await redis.AvailableAsync("phone"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_order_is_all_or_nothing_within_a_partition(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        var (a, b) = SameHashTagPair(redis);
        await redis.SetStockAsync(a, 5);
        await redis.SetStockAsync(b, 1);

        var outcome = await redis.Store.DeductAsync(redis.NewOrder("o1", (a, 3), (b, 2)));

        Assert.Equal(DeductionStatus.Insufficient, outcome.Status);
        Assert.Equal([new ShortLine(a, 3, 5), new ShortLine(b, 2, 1)], outcome.Short);
        Assert.Equal(5, await redis.AvailableAsync(a));
        Assert.Equal(1, await redis.AvailableAsync(b));
        Assert.Null(await redis.Store.GetOrderAsync("o1"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Lines_of_the_same_sku_are_summed_before_the_check(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        await redis.SetStockAsync("s", 3);

        var outcome = await redis.Store.DeductAsync(redis.NewOrder("o", ("s", 2), ("s", 2)));

        Assert.Equal(DeductionStatus.Insufficient, outcome.Status);
        Assert.Equal([new ShortLine("s", 4, 3)], outcome.Short);
        Assert.Equal(3, await redis.AvailableAsync("s"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_rejected_order_is_not_remembered(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        await redis.SetStockAsync("s", 1);

        Assert.Equal(DeductionStatus.Insufficient, (await redis.Store.DeductAsync(redis.NewOrder("o", ("s", 2)))).Status);
        await redis.SetStockAsync("s", 5);
        Assert.Equal(DeductionStatus.Deducted, (await redis.Store.DeductAsync(redis.NewOrder("o", ("s", 2)))).Status);

        // Other lines after a rejection are a new order too: the stale claim is provably unused and taken over.
        await using var other = RedisTarget.Create(kind);
        await other.SetStockAsync("s", 1);
        await other.SetStockAsync("t", 1);
        Assert.Equal(DeductionStatus.Insufficient, (await other.Store.DeductAsync(other.NewOrder("p", ("s", 2)))).Status);
        Assert.Equal(DeductionStatus.Deducted, (await other.Store.DeductAsync(other.NewOrder("p", ("t", 1)))).Status);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Unknown_sku_is_reported_and_nothing_deducted(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        var (a, b) = SameHashTagPair(redis);
        await redis.SetStockAsync(a, 5);

        var outcome = await redis.Store.DeductAsync(redis.NewOrder("o", (a, 1), (b, 1)));

        Assert.Equal(DeductionStatus.UnknownSku, outcome.Status);
        Assert.Equal([b], outcome.UnknownSkus);
        Assert.Equal(5, await redis.AvailableAsync(a));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Same_id_with_other_lines_is_a_conflict_also_across_partitions(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        var skus = redis.SkusInDistinctPartitions(2, "c");
        await redis.SetStockAsync(skus[0], 10);
        await redis.SetStockAsync(skus[1], 10);

        Assert.Equal(DeductionStatus.Deducted, (await redis.Store.DeductAsync(redis.NewOrder("X", (skus[0], 1)))).Status);
        var samePartition = await redis.Store.DeductAsync(redis.NewOrder("X", (skus[0], 2)));
        var otherPartition = await redis.Store.DeductAsync(redis.NewOrder("X", (skus[1], 1)));
        var multi = await redis.Store.DeductAsync(redis.NewOrder("X", (skus[0], 1), (skus[1], 1)));

        Assert.Equal(DeductionStatus.Conflict, samePartition.Status);
        Assert.Equal(DeductionStatus.Conflict, otherPartition.Status);
        Assert.Equal(DeductionStatus.Conflict, multi.Status);
        Assert.Equal(9, await redis.AvailableAsync(skus[0]));
        Assert.Equal(10, await redis.AvailableAsync(skus[1]));

        // The claim answers before anything is deducted, so a conflicting attempt leaves no trace in the journal.
        var journal = await redis.Journal.ReadAsync(redis.Partitioner.PartitionOf(skus[1]), "0", 100);
        Assert.DoesNotContain(journal, e => e.Sku == skus[1] && e.ReferenceId == "X");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Multi_partition_order_deducts_everywhere_replays_and_reads_back(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        var skus = redis.SkusInDistinctPartitions(3, "m", distinctMasters: kind == "cluster");
        foreach (var sku in skus)
        {
            await redis.SetStockAsync(sku, 5);
        }

        var order = redis.NewOrder("M1", (skus[2], 1), (skus[0], 2), (skus[1], 3));
        var first = await redis.Store.DeductAsync(order);
        var replay = await redis.Store.DeductAsync(redis.NewOrder("M1", (skus[0], 2), (skus[1], 3), (skus[2], 1)));
        var view = await redis.Store.GetOrderAsync("M1");

        Assert.Equal(DeductionStatus.Deducted, first.Status);
        Assert.Equal([skus[2], skus[0], skus[1]], first.Lines.Select(l => l.Sku));
        Assert.True(replay.Replayed);
        Assert.Equal(first.Lines, replay.Lines);
        Assert.Equal(OrderState.Deducted, view!.State);
        var left = new[] { await redis.AvailableAsync(skus[2]), await redis.AvailableAsync(skus[0]), await redis.AvailableAsync(skus[1]) };
        Assert.Equal([4L, 3L, 2L], left);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Multi_partition_order_refused_by_a_later_partition_compensates_the_earlier_ones(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        var skus = redis.SkusInDistinctPartitions(3, "f", distinctMasters: kind == "cluster");
        await redis.SetStockAsync(skus[0], 5);
        await redis.SetStockAsync(skus[1], 5);
        await redis.SetStockAsync(skus[2], 0);

        var outcome = await redis.Store.DeductAsync(redis.NewOrder("F1", (skus[0], 1), (skus[1], 1), (skus[2], 1)));

        Assert.Equal(DeductionStatus.Insufficient, outcome.Status);
        Assert.Equal(5, await redis.AvailableAsync(skus[0]));
        Assert.Equal(5, await redis.AvailableAsync(skus[1]));
        Assert.Null(await redis.Store.GetOrderAsync("F1"));

        // Not remembered: once stock arrives the same id succeeds, and with other lines too.
        await redis.SetStockAsync(skus[2], 1);
        Assert.Equal(DeductionStatus.Deducted, (await redis.Store.DeductAsync(redis.NewOrder("F1", (skus[0], 1), (skus[1], 1), (skus[2], 1)))).Status);
        Assert.Equal(4, await redis.AvailableAsync(skus[0]));
        Assert.Equal(0, await redis.AvailableAsync(skus[2]));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Cancel_restocks_once_replays_and_wins_over_a_later_replay(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        var skus = redis.SkusInDistinctPartitions(2, "k");
        await redis.SetStockAsync(skus[0], 5);
        await redis.SetStockAsync(skus[1], 5);
        await redis.Store.DeductAsync(redis.NewOrder("S1", (skus[0], 2)));
        await redis.Store.DeductAsync(redis.NewOrder("M1", (skus[0], 1), (skus[1], 1)));

        var single = await redis.Store.CancelAsync("S1");
        var singleAgain = await redis.Store.CancelAsync("S1");
        var multi = await redis.Store.CancelAsync("M1");
        var multiAgain = await redis.Store.CancelAsync("M1");
        var lateReplay = await redis.Store.DeductAsync(redis.NewOrder("S1", (skus[0], 2)));
        var lateMultiReplay = await redis.Store.DeductAsync(redis.NewOrder("M1", (skus[0], 1), (skus[1], 1)));

        Assert.Equal(CancelStatus.Cancelled, single.Status);
        Assert.False(single.Replayed);
        Assert.True(singleAgain.Replayed);
        Assert.Equal(single.Lines, singleAgain.Lines);
        Assert.Equal(CancelStatus.Cancelled, multi.Status);
        Assert.True(multiAgain.Replayed);
        Assert.Equal(multi.Lines, multiAgain.Lines);
        Assert.Equal(DeductionStatus.Cancelled, lateReplay.Status);
        Assert.Equal(DeductionStatus.Cancelled, lateMultiReplay.Status);
        Assert.Equal(5, await redis.AvailableAsync(skus[0]));
        Assert.Equal(5, await redis.AvailableAsync(skus[1]));
        Assert.Equal(OrderState.Cancelled, (await redis.Store.GetOrderAsync("S1"))!.State);
        Assert.Equal(OrderState.Cancelled, (await redis.Store.GetOrderAsync("M1"))!.State);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Cancelling_an_unknown_id_leaves_a_tombstone_that_refuses_a_later_deduction(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        await redis.SetStockAsync("t", 5);

        var cancel = await redis.Store.CancelAsync("late-1");
        var late = await redis.Store.DeductAsync(redis.NewOrder("late-1", ("t", 1)));

        Assert.Equal(CancelStatus.NotFound, cancel.Status);
        Assert.Equal(DeductionStatus.Cancelled, late.Status);
        Assert.Equal(5, await redis.AvailableAsync("t"));
        Assert.Null(await redis.Store.GetOrderAsync("late-1"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Journal_holds_every_change_with_per_sku_sequence_and_stock_after(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        await redis.SetStockAsync("j", 10);
        await redis.Store.DeductAsync(redis.NewOrder("j1", ("j", 3)));
        await redis.Store.AdjustAsync("j", "adj-1", 5, "restock");
        await redis.Store.CancelAsync("j1");
        await redis.Store.SetStockAsync("j", 4, null);

        var entries = (await redis.Journal.ReadAsync(redis.Partitioner.PartitionOf("j"), "0", 100)).Where(e => e.Sku == "j").ToList();

        Assert.Equal([ChangeKinds.Set, ChangeKinds.Deduct, ChangeKinds.Adjust, ChangeKinds.Cancel, ChangeKinds.Set], entries.Select(e => e.Kind));
        Assert.Equal([1L, 2, 3, 4, 5], entries.Select(e => e.Sequence));
        Assert.Equal([10L, 7, 12, 15, 4], entries.Select(e => e.AvailableAfter));
        Assert.Equal([10L, -3, 5, 3, -11], entries.Select(e => e.Delta));
        Assert.Equal("restock", entries[2].Reason);
        Assert.All(entries.Zip(entries.Skip(1)), p => Assert.True(StreamIds.Compare(p.First.StreamId, p.Second.StreamId) < 0));

        var partition = redis.Partitioner.PartitionOf("j");
        var before = await redis.Journal.LengthAsync(partition);
        await redis.Journal.TrimAsync(partition, entries[2].StreamId);
        var rest = await redis.Journal.ReadAsync(partition, "0", 100);
        Assert.Equal(before - 3, await redis.Journal.LengthAsync(partition));
        Assert.Equal(entries[3].StreamId, rest[0].StreamId);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Adjustments_are_idempotent_relative_and_never_below_zero(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        await redis.SetStockAsync("a", 10);
        await redis.Store.DeductAsync(redis.NewOrder("a1", ("a", 4)));

        var restock = await redis.Store.AdjustAsync("a", "r1", 50, "restock");
        var again = await redis.Store.AdjustAsync("a", "r1", 50, "restock");
        var conflict = await redis.Store.AdjustAsync("a", "r1", 40, "restock");
        var tooMuch = await redis.Store.AdjustAsync("a", "r2", -57, "damaged");
        var unknown = await redis.Store.AdjustAsync("nope", "r3", 1, "restock");

        Assert.Equal((StockChangeStatus.Applied, 56L, false), (restock.Status, restock.Available, restock.Replayed));
        Assert.Equal((StockChangeStatus.Applied, 56L, true), (again.Status, again.Available, again.Replayed));
        Assert.Equal(StockChangeStatus.Conflict, conflict.Status);
        Assert.Equal((StockChangeStatus.Rejected, 56L), (tooMuch.Status, tooMuch.Available));
        Assert.Equal(StockChangeStatus.UnknownSku, unknown.Status);
        Assert.Equal(56, await redis.AvailableAsync("a"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Set_stock_compare_and_set(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        await redis.SetStockAsync("c", 90);

        var mismatch = await redis.Store.SetStockAsync("c", 100, 80);
        var match = await redis.Store.SetStockAsync("c", 100, 90);

        Assert.Equal((StockChangeStatus.Rejected, 90L), (mismatch.Status, mismatch.Available));
        Assert.Equal((StockChangeStatus.Applied, 100L), (match.Status, match.Available));
        Assert.Equal(100, await redis.AvailableAsync("c"));
    }

    [Fact]
    public async Task Past_the_journal_bound_new_sales_are_refused_but_cancels_still_restock()
    {
        await using var redis = RedisTarget.Create("standalone", o => o.JournalLimit = 4);
        await redis.SetStockAsync("b", 10);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(DeductionStatus.Deducted, (await redis.Store.DeductAsync(redis.NewOrder($"b{i}", ("b", 1)))).Status);
        }

        var refused = await redis.Store.DeductAsync(redis.NewOrder("b9", ("b", 1)));
        var cancel = await redis.Store.CancelAsync("b0");

        Assert.Equal(DeductionStatus.Unavailable, refused.Status);
        Assert.Equal(CancelStatus.Cancelled, cancel.Status);
        Assert.Equal(8, await redis.AvailableAsync("b"));
        await redis.Journal.TrimAsync(redis.Partitioner.PartitionOf("b"), (await redis.Journal.ReadAsync(redis.Partitioner.PartitionOf("b"), "0", 100))[^1].StreamId);
        Assert.Equal(DeductionStatus.Deducted, (await redis.Store.DeductAsync(redis.NewOrder("b9", ("b", 1)))).Status);
    }

    private static (string, string) SameHashTagPair(RedisTarget redis)
    {
        var first = "p-0";
        var partition = redis.Partitioner.PartitionOf(first);
        var second = Enumerable.Range(1, 1000).Select(i => $"p-{i}").First(s => redis.Partitioner.PartitionOf(s) == partition);
        return (first, second);
    }
}
