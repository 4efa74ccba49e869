using Inventory.LoadDriver;

namespace Inventory.Tests.Faults;

/// <summary>The checker, fed by hand: a clean run counts zero, and each kind of damage is counted where it belongs.</summary>
public class CheckerTests
{
    private static readonly Answer Ok = new(200, "{}", 1, 1_000, 2_000, false, null);
    private static readonly Answer Insufficient = new(409, "{}", 1, 1_000, 2_000, false, null);
    private static readonly Answer NoAnswer = new(0, null, 9, 1_000, 60_000, false, "timeout");

    private static List<ClientRecord> Records() =>
    [
        new StockRecord("a", 10, true),
        new StockRecord("b", 100, false),
        new OrderRecord("o1", 0, [new LineRecord("a", 2)], Ok, null),
        new OrderRecord("o2", 0, [new LineRecord("a", 50)], Insufficient, null),
        new OrderRecord("o3", 1, [new LineRecord("a", 1), new LineRecord("b", 3), new LineRecord("b", 1)], Ok, Ok),
        new OrderRecord("o4", 1, [new LineRecord("b", 5)], NoAnswer, null),
        new AdjustmentRecord("adj1", "a", 5, Ok),
    ];

    private static List<(string Sku, string Kind, string Reference, long Delta)> Changes() =>
    [
        ("a", "set", "", 10), ("b", "set", "", 100),
        ("a", "deduct", "o1", -2),
        ("a", "deduct", "o3", -1), ("b", "deduct", "o3", -4),
        ("a", "cancel", "o3", 1), ("b", "cancel", "o3", 4),
        ("a", "adjust", "adj1", 5),
    ];

    /// <summary>Ledger rows with consistent sequences and available_after; Redis and SQL equal to the ledger's end.</summary>
    private static SystemState State(IEnumerable<(string Sku, string Kind, string Reference, long Delta)> changes, Action<Dictionary<string, SkuState>>? tamper = null)
    {
        var ledger = new List<LedgerRow>();
        var stock = new Dictionary<string, (long Available, long Seq)>();
        foreach (var (sku, kind, reference, delta) in changes)
        {
            var (available, seq) = stock.GetValueOrDefault(sku);
            stock[sku] = (available + delta, seq + 1);
            ledger.Add(new LedgerRow(sku, seq + 1, kind, reference, delta, available + delta));
        }

        var skus = stock.ToDictionary(s => s.Key, s => new SkuState(s.Value.Available, s.Value.Seq, s.Value.Available, s.Value.Seq, s.Value.Seq, s.Value.Seq));
        tamper?.Invoke(skus);
        return new SystemState(skus, ledger.OrderBy(r => r.Sku).ThenBy(r => r.Seq).ToList(), 0, 0);
    }

    private static CheckReport Check(SystemState state, List<ClientRecord>? records = null) =>
        Checker.Evaluate(records ?? Records(), [new FaultRecord(500, "kill -9 server", 100)], state, TimeSpan.FromSeconds(1));

    [Fact]
    public void A_clean_run_counts_zero_everywhere()
    {
        var report = Check(State(Changes()));

        Assert.True(report.Passed(), report.Table());
        Assert.Equal(0, report.ExampleCount);
        Assert.Equal(4, report.Rows.Single(r => r.Fault == "all orders").Orders);
        Assert.Equal(4, report.Rows.Single(r => r.Fault == "kill -9 server").Orders);
    }

    [Fact]
    public void An_order_without_an_answer_may_or_may_not_have_been_deducted()
    {
        var report = Check(State(Changes().Append(("b", "deduct", "o4", -5))));

        Assert.True(report.Passed(), report.Table());
    }

    [Fact]
    public void An_accepted_order_missing_from_the_ledger_is_lost()
    {
        var report = Check(State(Changes().Where(c => c.Reference != "o1")));

        Assert.Equal(1, report.Lost);
        Assert.Equal(1, report.OutsideClientBounds);
        Assert.Equal(1, report.Rows.Single(r => r.Fault == "kill -9 server").Lost);
        Assert.False(report.Passed());
    }

    [Fact]
    public void An_order_deducted_twice_is_doubled_even_with_a_void_in_between()
    {
        var doubled = Check(State(Changes().Append(("a", "deduct", "o1", -2))));
        var voided = Check(State(Changes().Append(("a", "void", "o1", 2)).Append(("a", "deduct", "o1", -2))));

        Assert.Equal(1, doubled.Doubled);
        Assert.False(doubled.Passed());
        Assert.True(voided.Passed(), voided.Table());
    }

    [Fact]
    public void A_refused_order_that_deducted_a_restock_without_a_cancel_and_a_stray_row_are_phantoms()
    {
        Assert.Equal(1, Check(State(Changes().Append(("a", "deduct", "o2", -1)))).Phantom);
        Assert.Equal(1, Check(State(Changes().Append(("a", "cancel", "o1", 2)))).Phantom);
        Assert.Equal(1, Check(State(Changes().Append(("b", "deduct", "nobody", -1)))).Phantom);
    }

    [Fact]
    public void Stock_below_zero_or_sold_beyond_supply_is_oversold()
    {
        var negative = Check(State(Changes().Append(("a", "deduct", "o2", -50))));
        var records = Records();
        records.Add(new OrderRecord("o5", 2, [new LineRecord("a", 20)], Ok, null));
        var soldBeyond = Check(State(Changes()), records);

        Assert.Equal(1, negative.Oversold);
        Assert.Equal(1, soldBeyond.Oversold);
        Assert.Equal(1, soldBeyond.Lost);
    }

    [Fact]
    public void Sql_differing_from_redis_or_a_lagging_ledger_is_a_mismatch()
    {
        var sqlBehind = Check(State(Changes(), skus => skus["a"] = skus["a"] with { SqlAvailable = 12, SqlSeq = 4 }));
        var redisLost = Check(State(Changes(), skus => skus["b"] = skus["b"] with { RedisAvailable = null, RedisSeq = 0 }));

        Assert.Equal(1, sqlBehind.SqlRedisMismatches);
        Assert.Equal(1, redisLost.SqlRedisMismatches);
        Assert.False(sqlBehind.Passed());
    }

    [Fact]
    public void Lost_and_doubled_cancels_and_adjustments_are_counted()
    {
        Assert.Equal(1, Check(State(Changes().Where(c => !(c.Reference == "o3" && c.Kind == "cancel" && c.Sku == "b")))).LostCancels);
        Assert.Equal(1, Check(State(Changes().Append(("a", "cancel", "o3", 1)))).DoubledCancels);
        Assert.Equal(1, Check(State(Changes().Where(c => c.Reference != "adj1"))).LostAdjustments);
        Assert.Equal(1, Check(State(Changes().Append(("a", "adjust", "adj1", 5)))).DoubledAdjustments);
    }
}
