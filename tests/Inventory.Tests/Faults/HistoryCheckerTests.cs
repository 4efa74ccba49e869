using Inventory.LoadDriver;

namespace Inventory.Tests.Faults;

/// <summary>
/// The history checker fed by hand: a clean history counts zero, each anomaly kind is detected and attributed to
/// the fault active (or most recent) when its request was acknowledged, and unknown outcomes widen the model.
/// </summary>
public class HistoryCheckerTests
{
    private const string Pause = "pause-write 7002 3000ms";
    private const string Kill = "kill-server";

    // Two faults: a pause from 1 s to 4 s, a server kill at 10 s (0.5 s).
    private static readonly FaultRecord[] Faults = [new(1_000, Pause, 3_000), new(10_000, Kill, 500)];

    private static Answer At(int status, long finishedMs) => new(status, null, 1, finishedMs - 100, finishedMs, false, status == 0 ? "timeout" : null);

    private static long _seq;

    private static HistoryOp Deduct(string id, int status, long atMs, params (string Sku, long Quantity)[] lines) =>
        new(++_seq, 0, "deduct", id, lines.Select(l => new LineRecord(l.Sku, l.Quantity)).ToList(), null, 0, At(status, atMs));

    private static HistoryOp Cancel(string id, int status, long atMs, params (string Sku, long Quantity)[] lines) =>
        new(++_seq, 0, "cancel", id, lines.Select(l => new LineRecord(l.Sku, l.Quantity)).ToList(), null, 0, At(status, atMs));

    private static HistoryOp Adjust(string id, string sku, long delta, int status, long atMs) => new(++_seq, 1, "adjust", id, null, sku, delta, At(status, atMs));

    private static List<LineRecord> Lines((string Sku, long Quantity)[] lines) => lines.Select(l => new LineRecord(l.Sku, l.Quantity)).ToList();

    /// <summary>A reservation op (hold, commit, release): <paramref name="said"/> the refusal's status in its body.</summary>
    private static HistoryOp Reservation(string kind, string id, int status, long atMs, string? order = null, string? said = null, params (string Sku, long Quantity)[] lines) =>
        new(++_seq, 3, kind, id, Lines(lines), null, 0, At(status, atMs) with { Body = said is null ? null : $"{{\"status\":\"{said}\"}}" }, order);

    private static HistoryOp Return(string order, string returnId, int status, long atMs, params (string Sku, long Quantity)[] lines) =>
        new(++_seq, 3, "return", order, Lines(lines), null, 0, At(status, atMs), returnId);

    /// <summary>
    /// o1 sold during the pause; o2 refused; o3 (multi-SKU, batch) sold and cancelled twice (both 200) after the kill;
    /// o4 unknown, resolved as deducted by GET; o5 sold before any fault and repeated (replay); adj1 restocks a.
    /// </summary>
    private static List<ClientRecord> Records() =>
    [
        new StockRecord("a", 10, true),
        new StockRecord("b", 100, false),
        Deduct("o1", 200, 2_000, ("a", 2)),
        Deduct("o2", 409, 2_500, ("a", 50)),
        new HistoryOp(++_seq, 2, "batch", "o3", [new("a", 1), new("b", 3), new("b", 1)], null, 0, At(200, 5_000)),
        Cancel("o3", 200, 11_000),
        Cancel("o3", 200, 11_200),
        Deduct("o4", 0, 3_000, ("b", 5)),
        Deduct("o4", 503, 6_000, ("b", 5)),
        Deduct("o5", 200, 500, ("b", 1)),
        Deduct("o5", 200, 700, ("b", 1)),
        Adjust("adj1", "a", 5, 200, 6_500),
        Adjust("adj1", "a", 5, 200, 6_600),
        new ResolutionRecord("o4", 200, "deducted"),
    ];

    /// <summary>
    /// <see cref="Records"/> and reservations: r1 (a×2, b×1) committed to c1 (replayed), c1 partly returned then
    /// cancelled; r2 (a×1) released twice (both 200); r3 (b×2) left to expire, a commit after it answered 409 expired;
    /// o5's b×1 returned (repeated, both 200).
    /// </summary>
    private static List<ClientRecord> WithReservations() =>
    [
        .. Records(),
        Reservation("hold", "r1", 200, 1_500, lines: [("a", 2), ("b", 1)]),
        Reservation("commit", "r1", 200, 2_200, "c1", lines: [("a", 2), ("b", 1)]),
        Reservation("commit", "r1", 200, 2_300, "c1", lines: [("a", 2), ("b", 1)]),
        Reservation("hold", "r2", 200, 3_000, lines: [("a", 1)]),
        Reservation("release", "r2", 200, 3_500, lines: [("a", 1)]),
        Reservation("release", "r2", 200, 3_600, lines: [("a", 1)]),
        Reservation("hold", "r3", 200, 5_000, lines: [("b", 2)]),
        Reservation("commit", "r3", 409, 40_000, "c3", "expired", lines: [("b", 2)]),
        Return("o5", "o5-ret1", 200, 7_000, ("b", 1)),
        Return("o5", "o5-ret1", 200, 7_100, ("b", 1)),
        Return("c1", "c1-ret1", 200, 8_000, ("a", 1)),
        Cancel("c1", 200, 9_000),
    ];

    /// <summary>The ledger of <see cref="WithReservations"/>: a reference "order|reason" carries the row's reason.</summary>
    private static List<(string Sku, string Kind, string Reference, long Delta, long AtMs)> ReservationChanges() =>
    [
        .. Changes(),
        ("a", "hold", "r1", -2, 1_400), ("b", "hold", "r1", -1, 1_400),
        ("a", "commit", "c1|r1", 0, 2_100), ("b", "commit", "c1|r1", 0, 2_100),
        ("a", "hold", "r2", -1, 2_900), ("a", "release", "r2", 1, 3_400),
        ("b", "hold", "r3", -2, 4_900), ("b", "expire", "r3", 2, 35_000),
        ("b", "return", "o5|o5-ret1", 1, 6_900),
        ("a", "return", "c1|c1-ret1", 1, 7_900),
        ("a", "cancel", "c1", 1, 8_900), ("b", "cancel", "c1", 1, 8_900),
    ];

    private static List<(string Sku, string Kind, string Reference, long Delta, long AtMs)> Replace(
        string kind, string reference, string sku, (string Sku, string Kind, string Reference, long Delta, long AtMs)? by)
    {
        var changes = ReservationChanges();
        var at = changes.FindIndex(c => c.Kind == kind && c.Reference == reference && c.Sku == sku);
        Assert.True(at >= 0, $"no {kind} {reference} {sku}");
        changes.RemoveAt(at);
        if (by is { } row)
        {
            changes.Insert(at, row);
        }

        return changes;
    }

    private static List<(string Sku, string Kind, string Reference, long Delta, long AtMs)> Changes() =>
    [
        ("a", "set", "", 10, 100), ("b", "set", "", 100, 100),
        ("b", "deduct", "o5", -1, 450),
        ("a", "deduct", "o1", -2, 1_900),
        ("b", "deduct", "o4", -5, 2_800),
        ("a", "deduct", "o3", -1, 4_900), ("b", "deduct", "o3", -4, 4_900),
        ("a", "adjust", "adj1", 5, 6_400),
        ("a", "cancel", "o3", 1, 10_900), ("b", "cancel", "o3", 4, 10_900),
    ];

    /// <summary>A ledger with consistent sequences and available_after; Redis and SQL equal to its end unless tampered.</summary>
    private static SystemState State(IEnumerable<(string Sku, string Kind, string Reference, long Delta, long AtMs)> changes, Action<Dictionary<string, SkuState>>? tamper = null)
    {
        var ledger = new List<LedgerRow>();
        var stock = new Dictionary<string, (long Available, long Seq)>();
        foreach (var (sku, kind, reference, delta, atMs) in changes)
        {
            var (available, seq) = stock.GetValueOrDefault(sku);
            stock[sku] = (available + delta, seq + 1);
            var parts = reference.Split('|');
            ledger.Add(new LedgerRow(sku, seq + 1, kind, parts[0], delta, available + delta, atMs, parts.Length > 1 ? parts[1] : null));
        }

        var skus = stock.ToDictionary(s => s.Key, s => new SkuState(s.Value.Available, s.Value.Seq, s.Value.Available, s.Value.Seq, s.Value.Seq, s.Value.Seq));
        tamper?.Invoke(skus);
        return new SystemState(skus, ledger, 0, 0);
    }

    private static HistoryReport Check(SystemState state, List<ClientRecord>? records = null) =>
        HistoryChecker.Evaluate(records ?? Records(), Faults, state, TimeSpan.FromSeconds(1), seed: 42);

    private static string Label(HistoryReport report, string fault) => report.FaultLabels.Single(l => l.Contains(fault, StringComparison.Ordinal));

    [Fact]
    public void A_clean_history_counts_zero_and_the_model_is_exact()
    {
        var report = Check(State(Changes()));

        Assert.True(report.Passed, report.Table());
        Assert.Empty(report.Findings);
        Assert.Equal(2, report.ExactSkus);
        Assert.Equal(5, report.Orders);
        Assert.Equal(0, report.Unresolved);
        Assert.Contains("seed 42", report.Table(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_outcome_may_have_deducted_or_not_until_get_resolves_it()
    {
        var records = Records().Where(r => r is not ResolutionRecord).ToList();
        var deducted = Check(State(Changes()), records);
        var notDeducted = Check(State(Changes().Where(c => c.Reference != "o4")), records);
        var resolvedNotFound = Check(State(Changes().Where(c => c.Reference != "o4")), [.. records, new ResolutionRecord("o4", 404, null)]);
        var resolvedWrong = Check(State(Changes()), [.. records, new ResolutionRecord("o4", 404, null)]);

        Assert.True(deducted.Passed, deducted.Table());
        Assert.True(notDeducted.Passed, notDeducted.Table());
        Assert.Equal(1, deducted.Unresolved);
        Assert.True(resolvedNotFound.Passed, resolvedNotFound.Table());
        Assert.Equal(2, resolvedNotFound.ExactSkus);
        Assert.False(resolvedWrong.Passed); // GET said unknown order, yet it deducted
    }

    [Fact]
    public void An_acknowledged_sale_voided_later_is_lost_and_attributed_to_the_fault_active_at_its_acknowledgement()
    {
        var report = Check(State(Changes().Append(("a", "void", "o1", 2, 12_000))));

        Assert.Equal(1, report.Count(Anomaly.LostSale));
        Assert.Equal(1, report.Count(Anomaly.LostSale, Label(report, Pause)));
        Assert.Equal(2, report.Count(Anomaly.PhantomUnits)); // the 2 units are back on the shelf
        Assert.Equal(1, report.OutsideModel);
        Assert.False(report.Passed);
        Assert.Contains("acknowledged sale undone", report.Table(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_acknowledged_sale_missing_from_the_ledger_is_lost_and_one_acked_before_any_fault_says_so()
    {
        var report = Check(State(Changes().Where(c => c.Reference != "o5")));

        Assert.Equal(1, report.Count(Anomaly.LostSale, HistoryReport.BeforeFaults));
        Assert.Equal(1, report.Count(Anomaly.PhantomUnits));
    }

    [Fact]
    public void An_order_deducted_twice_is_doubled_but_a_voided_attempt_before_the_sale_is_not()
    {
        var doubled = Check(State(Changes().Append(("b", "deduct", "o5", -1, 800))));
        var voided = Check(State(Changes().Append(("a", "void", "o1", 2, 1_950)).Append(("a", "deduct", "o1", -2, 1_960))));

        Assert.Equal(1, doubled.Count(Anomaly.Doubled));
        Assert.Equal(1, doubled.Count(Anomaly.Doubled, HistoryReport.BeforeFaults));
        Assert.False(doubled.Passed);
        Assert.True(voided.Passed, voided.Table());
    }

    [Fact]
    public void A_cancel_restocking_twice_is_a_repeated_restock_attributed_to_the_fault_before_its_acknowledgement()
    {
        var twice = Check(State(Changes().Append(("b", "cancel", "o3", 4, 11_100))));
        var afterVoid = Check(State(Changes().Append(("a", "void", "o3", 1, 10_800))));

        Assert.Equal(1, twice.Count(Anomaly.RepeatedRestock));
        Assert.Equal(1, twice.Count(Anomaly.RepeatedRestock, Label(twice, Kill)));
        Assert.Equal(4, twice.Count(Anomaly.PhantomUnits));
        Assert.Equal(1, afterVoid.Count(Anomaly.RepeatedRestock));
    }

    [Fact]
    public void Stock_below_zero_in_the_ledger_or_sales_beyond_supply_are_below_zero()
    {
        var negative = Check(State(Changes().Append(("a", "deduct", "o2", -50, 2_400))));
        var records = Records();
        records.Add(Deduct("o6", 200, 12_000, ("a", 20)));
        var beyondSupply = Check(State(Changes()), records);

        Assert.Equal(2, negative.Count(Anomaly.BelowZero)); // a ledger row and the end state
        Assert.Equal(1, negative.Count(Anomaly.BelowZero, Label(negative, Pause)));
        Assert.Equal(1, negative.Count(Anomaly.BelowZero, HistoryReport.EndState));
        Assert.Contains(negative.Findings, f => f.Kind == Anomaly.Other && f.Text.Contains("refused", StringComparison.Ordinal));
        Assert.Equal(1, beyondSupply.Count(Anomaly.BelowZero, Label(beyondSupply, Kill)));
        Assert.Equal(1, beyondSupply.Count(Anomaly.LostSale));
    }

    [Fact]
    public void Stock_above_the_model_is_phantom_and_redis_differing_from_sql_is_a_mismatch()
    {
        var phantom = Check(State(Changes(), s => s["b"] = s["b"] with { RedisAvailable = s["b"].RedisAvailable + 7, SqlAvailable = s["b"].SqlAvailable + 7 }));
        var sqlBehind = Check(State(Changes(), s => s["a"] = s["a"] with { SqlAvailable = 99 }));

        Assert.Equal(7, phantom.Count(Anomaly.PhantomUnits));
        Assert.Equal(7, phantom.Count(Anomaly.PhantomUnits, HistoryReport.EndState));
        Assert.Equal(0, phantom.RedisSqlMismatches);
        Assert.Equal(1, sqlBehind.RedisSqlMismatches);
        Assert.False(sqlBehind.Passed);
    }

    [Fact]
    public void Lost_cancels_restocks_without_cancel_adjustments_applied_twice_and_stray_rows_are_other_anomalies()
    {
        Assert.Equal(1, Check(State(Changes().Where(c => !(c.Kind == "cancel" && c.Sku == "b")))).Count(Anomaly.Other) - 1); // + units below the model
        Assert.Equal(1, Check(State(Changes().Append(("a", "cancel", "o1", 2, 3_000)))).Count(Anomaly.Other));
        Assert.Equal(1, Check(State(Changes().Append(("a", "adjust", "adj1", 5, 6_450)))).Count(Anomaly.Other));
        Assert.Equal(1, Check(State(Changes().Append(("b", "deduct", "nobody", -1, 3_000)))).Count(Anomaly.Other) - 1);
    }

    [Fact]
    public void Reservations_that_each_end_once_and_partial_returns_restocked_once_pass_with_an_exact_model()
    {
        var report = Check(State(ReservationChanges()), WithReservations());

        Assert.True(report.Passed, report.Table());
        Assert.Equal(2, report.ExactSkus);
        Assert.Equal(3, report.Reservations);
        Assert.Equal(1, report.ReservationOutcomes["commit"]);
        Assert.Equal(1, report.ReservationOutcomes["release"]);
        Assert.Equal(1, report.ReservationOutcomes["expire"]);
        Assert.Equal(2, report.Returns);
    }

    [Fact]
    public void A_release_restocking_twice_is_a_repeated_restock()
    {
        var report = Check(State(ReservationChanges().Append(("a", "release", "r2", 1, 3_700))), WithReservations());

        Assert.Equal(1, report.Count(Anomaly.RepeatedRestock));
        Assert.Equal(1, report.Count(Anomaly.PhantomUnits));
        Assert.False(report.Passed);
    }

    [Fact]
    public void A_committed_reservation_that_also_expires_fails_and_a_half_commit_loses_the_acknowledged_sale()
    {
        var alsoExpired = Check(State(ReservationChanges().Append(("b", "expire", "r1", 1, 36_000))), WithReservations());
        var halfCommitted = Check(State(Replace("commit", "c1|r1", "b", ("b", "expire", "r1", 1, 36_000))), WithReservations());

        Assert.Equal(1, alsoExpired.Count(Anomaly.RepeatedRestock));
        Assert.Contains("ended twice", alsoExpired.Table(), StringComparison.Ordinal);
        Assert.False(alsoExpired.Passed);
        Assert.Equal(1, halfCommitted.Count(Anomaly.LostSale, Label(halfCommitted, Pause)));
        Assert.Contains(halfCommitted.Findings, f => f.Text.Contains("both committed and given back", StringComparison.Ordinal));
    }

    [Fact]
    public void An_acknowledged_release_that_expired_instead_and_an_expired_commit_that_committed_fail()
    {
        var expiredInstead = Check(State(Replace("release", "r2", "a", ("a", "expire", "r2", 1, 33_000))), WithReservations());
        var committedAfterAll = Check(State(Replace("expire", "r3", "b", ("b", "commit", "c3|r3", 0, 35_000))), WithReservations());

        Assert.Contains(expiredInstead.Findings, f => f.Kind == Anomaly.Other && f.Text.Contains("acknowledged release not released", StringComparison.Ordinal));
        Assert.False(expiredInstead.Passed);
        Assert.Contains(committedAfterAll.Findings, f => f.Text.Contains("409 expired", StringComparison.Ordinal));
        Assert.Contains(committedAfterAll.Findings, f => f.Text.Contains("refused (or unknown, then not found) yet deducted", StringComparison.Ordinal));
    }

    [Fact]
    public void A_hold_never_ended_or_units_left_held_fail()
    {
        var neverEnded = Check(State(Replace("expire", "r3", "b", null)), WithReservations());
        var stillHeld = Check(State(ReservationChanges(), s => s["b"] = s["b"] with { RedisHeld = 2 }), WithReservations());

        Assert.Contains(neverEnded.Findings, f => f.Text.Contains("still held", StringComparison.Ordinal));
        Assert.Contains(stillHeld.Findings, f => f.Text.Contains("units still held after every hold ended", StringComparison.Ordinal));
        Assert.False(stillHeld.Passed);
    }

    [Fact]
    public void A_lost_return_and_a_return_restocking_twice_fail()
    {
        var lost = Check(State(Replace("return", "o5|o5-ret1", "b", null)), WithReservations());
        var twice = Check(State(ReservationChanges().Append(("b", "return", "o5|o5-ret1", 1, 7_050))), WithReservations());
        var beyondTheOrder = Check(State(ReservationChanges().Append(("b", "return", "o5|o5-ret9", 1, 7_050))), WithReservations());

        Assert.Contains(lost.Findings, f => f.Text.Contains("acknowledged return o5-ret1 restocked nothing", StringComparison.Ordinal));
        Assert.Equal(1, lost.OutsideModel);
        Assert.Equal(1, twice.Count(Anomaly.RepeatedRestock));
        Assert.Equal(1, twice.Count(Anomaly.PhantomUnits));
        Assert.Contains(beyondTheOrder.Findings, f => f.Text.Contains("a return nobody sent", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_commit_is_resolved_by_get_of_the_reservation()
    {
        var records = WithReservations();
        records.AddRange([Reservation("hold", "r4", 200, 10_500, lines: [("b", 3)]), Reservation("commit", "r4", 0, 11_000, "c4", lines: [("b", 3)])]);
        var changes = ReservationChanges();
        changes.AddRange([("b", "hold", "r4", -3, 10_400), ("b", "commit", "c4|r4", 0, 10_900)]);
        var unresolved = Check(State(changes), records);
        var resolved = Check(State(changes), [.. records, new ReservationResolution("r4", 200, "committed", "c4")]);
        var resolvedWrong = Check(State(changes), [.. records, new ReservationResolution("r4", 200, "expired", null)]);

        Assert.True(unresolved.Passed, unresolved.Table());
        Assert.Equal(1, unresolved.Unresolved);
        Assert.True(resolved.Passed, resolved.Table());
        Assert.Equal(2, resolved.ExactSkus);
        Assert.False(resolvedWrong.Passed);
    }

    [Fact]
    public void A_cancel_half_done_fails_per_request_and_the_sku_outside_the_model_names_the_order()
    {
        // c1's cancel gave a back nothing (its return did 1 of the 2), and o4's unknown cancel, said cancelled by
        // GET, restocked nothing (HistoryTests seed 8: a cancel abandoned after its claim).
        var tooLittle = Check(State(Replace("cancel", "c1", "a", ("a", "cancel", "c1", 0, 8_900))), WithReservations());
        var records = WithReservations();
        records.AddRange([Cancel("o4", 0, 12_000), new ResolutionRecord("o4", 200, "cancelled")]);
        var halfCancelled = Check(State(ReservationChanges()), records);

        Assert.Contains(tooLittle.Findings, f => f.Text.Contains("cancel restocked too little", StringComparison.Ordinal));
        Assert.Contains(tooLittle.SkuExamples, e => e.Contains("c1 ledger -1", StringComparison.Ordinal));
        Assert.Contains(halfCancelled.Findings, f => f.Text.Contains("cancel reported by GET but nothing restocked", StringComparison.Ordinal));
        Assert.False(halfCancelled.Passed);
    }
}
