using System.Globalization;
using System.Text;

namespace Inventory.LoadDriver;

public enum Anomaly
{
    /// <summary>A deduction answered 200, later not deducted (voided or missing) without a cancel for it.</summary>
    LostSale,

    /// <summary>An order deducted more than once (or more units than its lines) net of voids.</summary>
    Doubled,

    /// <summary>A cancel that restocked more than once, or restocked units a void had already returned.</summary>
    RepeatedRestock,

    /// <summary>Stock below zero in any ledger row, in Redis or SQL, or acknowledged sales beyond all supply.</summary>
    BelowZero,

    /// <summary>Stock higher than the sequential model allows after the drain (units).</summary>
    PhantomUnits,

    /// <summary>Everything else the model forbids: refused yet deducted, restock without a cancel, lost cancels or adjustments, stray rows, stock lower than the model allows.</summary>
    Other,
}

/// <summary>One anomaly: when the request it concerns was acknowledged (or last answered) and the fault it is attributed to.</summary>
public sealed record Finding(Anomaly Kind, long AtMs, string Fault, string Text, long Units = 1);

/// <summary>What one randomized history run proved; zero findings and a settled, equal end state pass.</summary>
public sealed class HistoryReport
{
    public const string BeforeFaults = "(no fault yet)";
    public const string EndState = "end state (after drain)";

    public int Seed { get; init; }

    public List<Finding> Findings { get; } = [];

    public List<string> FaultLabels { get; } = [];

    public Dictionary<string, int> Ops { get; } = new(StringComparer.Ordinal);

    public int Orders { get; set; }

    public int AcknowledgedOrders { get; set; }

    public int UnknownOrders { get; set; }

    /// <summary>Orders whose deduction or cancel stayed unknown even after GET /api/deductions/{id}.</summary>
    public int Unresolved { get; set; }

    public int Reservations { get; set; }

    /// <summary>How reservations ended in the ledger: commit, release, expire, none (never held), mixed; "refused …" if no hold was acknowledged.</summary>
    public Dictionary<string, int> ReservationOutcomes { get; } = new(StringComparer.Ordinal);

    public int Returns { get; set; }

    public int Skus { get; set; }

    /// <summary>SKUs where Redis ≠ SQL (stock or sequence), or the SQL ledger lags Redis.</summary>
    public int RedisSqlMismatches { get; set; }

    /// <summary>SKUs whose Redis or SQL stock lies outside the model's range.</summary>
    public int OutsideModel { get; set; }

    /// <summary>SKUs whose model range is a single value (every outcome resolved).</summary>
    public int ExactSkus { get; set; }

    public long DeadTasks { get; set; }

    public TimeSpan? DrainedAfter { get; set; }

    public List<string> SkuExamples { get; } = [];

    public long Count(Anomaly kind) => Findings.Where(f => f.Kind == kind).Sum(f => f.Kind == Anomaly.PhantomUnits ? f.Units : 1);

    public long Count(Anomaly kind, string fault) =>
        Findings.Where(f => f.Kind == kind && f.Fault == fault).Sum(f => f.Kind == Anomaly.PhantomUnits ? f.Units : 1);

    public bool Passed => Findings.Count == 0 && RedisSqlMismatches == 0 && OutsideModel == 0 && DeadTasks == 0 && DrainedAfter is not null;

    public string Table()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"history seed {Seed} (replay: INVENTORY_HISTORY_SEED={Seed})");
        text.AppendLine(CultureInfo.InvariantCulture, $"ops: {string.Join(", ", Ops.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}; " +
            $"{Orders} orders, {AcknowledgedOrders} acknowledged, {UnknownOrders} unknown after the load, {Unresolved} unresolved after GET");
        if (Reservations > 0 || Returns > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"reservations: {Reservations}, ended by {string.Join(", ", ReservationOutcomes.OrderBy(o => o.Key).Select(o => $"{o.Key} {o.Value}"))}; {Returns} return ids");
        }

        var kinds = Enum.GetValues<Anomaly>();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"fault (active or most recent at acknowledgement)",-52} {"lost",5} {"dbl",5} {"rst×2",5} {"<0",5} {"phant",5} {"other",5}");
        foreach (var label in FaultLabels.Prepend(BeforeFaults).Append(EndState))
        {
            var counts = kinds.Select(k => Count(k, label)).ToList();
            if (label is BeforeFaults or EndState && counts.All(c => c == 0))
            {
                continue;
            }

            text.AppendLine(CultureInfo.InvariantCulture, $"{Clip(label, 52),-52} {string.Join(" ", counts.Select(c => $"{c,5}"))}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"{"TOTAL",-52} {string.Join(" ", kinds.Select(k => $"{Count(k),5}"))}");
        var byKind = Findings.Where(f => f.Fault is not BeforeFaults and not EndState).GroupBy(f => FaultKind(f.Fault)).ToList();
        foreach (var group in byKind.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{"  by kind: " + group.Key,-52} {string.Join(" ", kinds.Select(k => $"{group.Where(f => f.Kind == k).Sum(f => k == Anomaly.PhantomUnits ? f.Units : 1),5}"))}");
        }

        text.AppendLine("(lost = acknowledged sale undone, dbl = order deducted twice, rst×2 = restock repeated, <0 = units below zero,");
        text.AppendLine(" phant = phantom units above the model; phantom units are an end-state count in units)");
        var drained = DrainedAfter is { } d ? $"drained after {d.TotalSeconds:0.0} s" : "NOT DRAINED";
        text.AppendLine(CultureInfo.InvariantCulture,
            $"end state: {Skus} SKUs, Redis≠SQL {RedisSqlMismatches}, outside the model {OutsideModel}, exact model {ExactSkus}/{Skus}, dead tasks {DeadTasks}, {drained}");
        foreach (var example in SkuExamples.Take(8))
        {
            text.AppendLine("  " + example);
        }

        foreach (var group in Findings.GroupBy(f => f.Kind))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{group.Key}: {group.Count()} findings, e.g.");
            foreach (var finding in group.Take(5))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  [{finding.Fault}] {finding.Text}");
            }
        }

        return text.ToString();
    }

    public static string FaultKind(string label)
    {
        var parts = label.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 2 && parts[0].StartsWith('#') ? parts[2] : label;
    }

    private static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}

/// <summary>
/// The randomized history's checker. Replays the clients' ops against a sequential model of each SKU's stock
/// (initial stock, then each order's and adjustment's effect: certain where the answer was 200 or a final refusal,
/// a range where it stayed unknown, narrowed by GET /api/deductions/{id} at the end), and holds each order, cancel and
/// adjustment against the SQL ledger. Pure: tests feed it hand-made histories.
/// </summary>
public static partial class HistoryChecker
{
    /// <summary>
    /// The requests whose ledger rows on the SKU sum outside what the model allowed them: a reservation's rows count
    /// towards the order it was committed to (its <c>commit</c> row names both), everything else by reference.
    /// </summary>
    private static string OffAllowance(string sku, IReadOnlyList<LedgerRow> ledger, Dictionary<(string Sku, string Key), (long Lo, long Hi)> allowed)
    {
        var mine = ledger.Where(r => r.Sku == sku && r.Kind != "set").ToList();
        var committedTo = mine.Where(r => r.Kind == "commit" && r.Reason is not null).GroupBy(r => r.Reason!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Reference, StringComparer.Ordinal);
        var net = mine.GroupBy(r => committedTo.GetValueOrDefault(r.Reference) ?? r.Reference, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (Delta: g.Sum(r => r.Delta), Rows: string.Join(" ", g.Select(r => $"{r.Kind}{r.Delta:+0;-0}@{r.Seq}"))), StringComparer.Ordinal);
        var keys = net.Keys.Concat(allowed.Keys.Where(k => k.Sku == sku).Select(k => k.Key)).Distinct(StringComparer.Ordinal);
        var off = keys.Select(k => (Key: k, Net: net.GetValueOrDefault(k), Allowed: allowed.GetValueOrDefault((sku, k))))
            .Where(x => x.Net.Delta < x.Allowed.Lo || x.Net.Delta > x.Allowed.Hi)
            .Select(x => $"{x.Key} ledger {x.Net.Delta:+0;-0} ({x.Net.Rows}) allowed [{x.Allowed.Lo}, {x.Allowed.Hi}]").ToList();
        return off.Count == 0 ? "none" : string.Join("; ", off.Take(5));
    }

    private enum Tri
    {
        No,
        Yes,
        Maybe,
    }

    public static HistoryReport Evaluate(IReadOnlyList<ClientRecord> records, IReadOnlyList<FaultRecord> faults, SystemState state, TimeSpan? drainedAfter, int seed = 0)
    {
        var ops = records.OfType<HistoryOp>().OrderBy(o => o.Seq).ToList();
        var stocks = records.OfType<StockRecord>().ToDictionary(s => s.Sku, StringComparer.Ordinal);
        var resolutions = records.OfType<ResolutionRecord>().GroupBy(r => r.OrderId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var ordered = faults.OrderBy(f => f.AtMs).ToList();
        var t0 = ops.Count > 0 ? ops.Min(o => o.Answer.StartedMs) : ordered.FirstOrDefault()?.AtMs ?? 0;
        var labels = ordered.Select((f, i) => $"#{i + 1} +{(f.AtMs - t0) / 1000.0:0.0}s {f.Fault} ({f.DurationMs / 1000.0:0.0}s)").ToList();
        var report = new HistoryReport { Seed = seed, DrainedAfter = drainedAfter, DeadTasks = state.DeadTasks };
        report.FaultLabels.AddRange(labels);
        foreach (var group in ops.GroupBy(o => o.Kind))
        {
            report.Ops[group.Key] = group.Count();
        }

        string Attribute(long atMs)
        {
            if (atMs <= 0)
            {
                return HistoryReport.EndState;
            }

            var index = -1;
            for (var i = 0; i < ordered.Count; i++)
            {
                if (ordered[i].AtMs <= atMs && atMs <= ordered[i].AtMs + ordered[i].DurationMs)
                {
                    index = i; // the latest fault active at that time
                }
            }

            if (index < 0)
            {
                index = ordered.FindLastIndex(f => f.AtMs <= atMs);
            }

            return index < 0 ? HistoryReport.BeforeFaults : labels[index];
        }

        void Find(Anomaly kind, long atMs, string text, long units = 1) => report.Findings.Add(new Finding(kind, atMs, Attribute(atMs), text, units));

        var rows = state.Ledger.GroupBy(r => (r.Reference, r.Sku)).ToDictionary(g => g.Key, g => g.ToList());
        var lo = stocks.ToDictionary(s => s.Key, s => s.Value.Initial, StringComparer.Ordinal);
        var hi = new Dictionary<string, long>(lo, StringComparer.Ordinal);
        var known = new HashSet<(string Reference, string Sku)>();
        var sold = new List<(long AtMs, string Sku, long Units)>();
        var supply = stocks.ToDictionary(s => s.Key, s => s.Value.Initial, StringComparer.Ordinal);

        // What each request may have done to a SKU, so a SKU outside the model names the requests whose ledger rows
        // do not add up to what the model allowed them.
        var allowed = new Dictionary<(string Sku, string Key), (long Lo, long Hi)>();
        void Allow(string sku, string key, long dLo, long dHi)
        {
            lo[sku] += dLo;
            hi[sku] += dHi;
            var (l, h) = allowed.GetValueOrDefault((sku, key));
            allowed[(sku, key)] = (l + dLo, h + dHi);
        }

        // Reservations first: they decide which orders their commits made.
        var committedOrders = CheckReservations(ops, records, state, rows, known, report, (kind, atMs, text) => Find(kind, atMs, text))
            .ToDictionary(o => o.OrderId, StringComparer.Ordinal);

        // Orders (deducted, or committed from a reservation): every op sharing an id, its cancels and returns, what GET
        // said at the end, and the ledger rows it left.
        var byId = ops.GroupBy(o => o.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var orderIds = byId.Where(g => g.Value.Any(o => o.IsDeduction)).Select(g => g.Key).Concat(committedOrders.Keys).Distinct(StringComparer.Ordinal).ToList();
        foreach (var id in orderIds)
        {
            var group = byId.GetValueOrDefault(id) ?? [];
            var commit = committedOrders.GetValueOrDefault(id);
            var deductions = commit?.Commits ?? group.Where(o => o.IsDeduction).ToList();
            var cancels = group.Where(o => o.Kind == "cancel").ToList();
            var returns = group.Where(o => o.Kind == "return").GroupBy(o => o.Ref!, StringComparer.Ordinal).ToList();
            var acked = deductions.Where(o => o.Acknowledged).ToList();
            long? ackMs = acked.Count > 0 ? acked.Min(o => o.Answer.FinishedMs) : null;
            var last = deductions.MaxBy(o => o.Answer.FinishedMs)!;
            var cancelAcked = cancels.Where(o => o.Acknowledged).ToList();
            long? cancelAckMs = cancelAcked.Count > 0 ? cancelAcked.Min(o => o.Answer.FinishedMs) : null;
            var resolution = resolutions.GetValueOrDefault(id);
            report.Orders++;
            report.AcknowledgedOrders += acked.Count > 0 ? 1 : 0;
            report.UnknownOrders += acked.Count == 0 && last.Unknown ? 1 : 0;

            var deducted = commit is not null ? commit.Committed
                : acked.Count > 0 ? Tri.Yes
                : last.Refused ? Tri.No
                : resolution switch
                {
                    { Status: 200, State: "deducted" } => Tri.Yes,
                    { Status: 404 } => Tri.No,
                    _ => Tri.Maybe,
                };
            var cancelled = cancelAcked.Count > 0 ? Tri.Yes
                : !cancels.Any(c => c.Unknown) ? Tri.No
                : resolution switch
                {
                    { Status: 200, State: "cancelled" } => Tri.Yes,
                    { Status: 200, State: "deducted" } or { Status: 404 } => Tri.No,
                    _ => Tri.Maybe,
                };
            if (deducted == Tri.Maybe || (cancelled == Tri.Maybe && deducted != Tri.No))
            {
                report.Unresolved++;
            }

            // A return restocked if acknowledged, not if refused outright; unknown, or refused because a cancel reached
            // part of it first (the cancel restocks the rest), it may have restocked.
            var returned = returns.Select(g => (Id: g.Key, Ops: g.ToList(),
                Done: g.Any(o => o.Acknowledged) ? Tri.Yes
                    : g.All(o => o.Refused && StatusOf(o.Answer.Body) != "cancelled") ? Tri.No
                    : Tri.Maybe)).ToList();
            report.Returns += returned.Count;

            var units = (commit?.Lines ?? deductions[0].Lines!).GroupBy(l => l.Sku, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(l => l.Quantity), StringComparer.Ordinal);
            foreach (var (sku, u) in units)
            {
                known.Add((id, sku));
                if (!lo.ContainsKey(sku))
                {
                    continue;
                }

                long ReturnedUnits(Tri done) => returned.Where(r => r.Done == done || (done == Tri.Maybe && r.Done == Tri.Yes))
                    .Sum(r => r.Ops[0].Lines!.Where(l => l.Sku == sku).Sum(l => l.Quantity));
                var returnedLo = ReturnedUnits(Tri.Yes);
                var returnedHi = ReturnedUnits(Tri.Maybe);

                // The sequential model: what this order may have done to the SKU. A cancelled order gave everything back
                // (its cancel restocks what its returns did not); a standing one holds its units less its returns.
                if (cancelled != Tri.Yes && deducted != Tri.No)
                {
                    Allow(sku, id, -(u - returnedLo), deducted == Tri.Yes && cancelled == Tri.No ? -(u - returnedHi) : 0);
                }

                supply[sku] += returnedHi;
                if (ackMs is { } a && cancelled != Tri.Yes)
                {
                    sold.Add((a, sku, u));
                }

                // Against the ledger.
                var mine = rows.GetValueOrDefault((id, sku)) ?? [];
                var net = mine.Count(r => r.Kind is "deduct" or "commit") - mine.Count(r => r.Kind == "void");
                var netUnits = -mine.Where(r => r.Kind is "deduct" or "void").Sum(r => r.Delta) + mine.Where(r => r.Kind == "commit").Sum(r => CommitUnits(r, rows));
                var restocks = mine.Count(r => r.Kind == "cancel");
                var restocked = mine.Where(r => r.Kind == "cancel").Sum(r => r.Delta);
                var returnRows = mine.Where(r => r.Kind == "return").ToList();
                var what = $"order {id} {sku}×{u}: answers [{string.Join(",", deductions.Select(o => o.Answer.Status))}] cancels [{string.Join(",", cancels.Select(o => o.Answer.Status))}]" +
                    $"{(returned.Count > 0 ? $" returns [{string.Join(" ", returned.Select(r => $"{r.Id}:{Statuses(r.Ops)}"))}]" : "")}, " +
                    $"ledger {string.Join(" ", mine.Select(r => $"{r.Kind}{r.Delta:+0;-0}@{r.Seq}"))}";
                if (ackMs is { } acknowledged && cancelled != Tri.Yes && (net < 1 || netUnits < u))
                {
                    Find(Anomaly.LostSale, acknowledged, $"acknowledged sale undone: {what}");
                }

                if (net > 1 || netUnits > u)
                {
                    Find(Anomaly.Doubled, ackMs ?? last.Answer.FinishedMs, $"deducted twice: {what}");
                }

                // A return id restocking twice is counted below, by return id.
                if (restocks > 1 || restocked + returnRows.DistinctBy(r => r.Reason).Sum(r => r.Delta) > u || (restocks >= 1 && net < 1 && mine.Any(r => r.Kind is "deduct" or "commit")))
                {
                    Find(Anomaly.RepeatedRestock, cancelAckMs ?? cancels.Select(c => c.Answer.FinishedMs).DefaultIfEmpty(last.Answer.FinishedMs).Max(),
                        $"restocked more than once: {what}");
                }
                else if (restocks == 1 && net == 1 && restocked + returnRows.DistinctBy(r => r.Reason).Sum(r => r.Delta) < netUnits)
                {
                    // The cancel gives back what the order still holds: its units less what its returns restocked.
                    Find(Anomaly.Other, cancelAckMs ?? cancels.Select(c => c.Answer.FinishedMs).DefaultIfEmpty(last.Answer.FinishedMs).Max(),
                        $"cancel restocked too little: {what}");
                }
                else if (restocks >= 1 && cancels.Count == 0)
                {
                    Find(Anomaly.Other, last.Answer.FinishedMs, $"restocked without any cancel: {what}");
                }
                else if (cancelled == Tri.Yes && net >= 1 && restocks == 0)
                {
                    // Acknowledged, or unknown and then said cancelled by GET: a cancel half done is not a cancel.
                    Find(Anomaly.Other, cancelAckMs ?? cancels.Max(c => c.Answer.FinishedMs),
                        $"cancel {(cancelAcked.Count > 0 ? "acknowledged" : "reported by GET")} but nothing restocked here: {what}");
                }

                if (deducted == Tri.No && net >= 1 && restocks == 0)
                {
                    Find(Anomaly.Other, last.Answer.FinishedMs, $"refused (or unknown, then not found) yet deducted: {what}");
                }

                // Returns, idempotent by return id: one row per SKU of an acknowledged one, none of a refused one.
                foreach (var row in returnRows.Where(r => !returned.Any(x => x.Id == r.Reason)))
                {
                    Find(Anomaly.Other, row.AtMs, $"restocked by a return nobody sent ({row.Reason}): {what}");
                }

                foreach (var (returnId, returnOps, done) in returned)
                {
                    var asked = returnOps[0].Lines!.Where(l => l.Sku == sku).Sum(l => l.Quantity);
                    var applied = returnRows.Where(r => r.Reason == returnId).ToList();
                    var firstAck = returnOps.Where(o => o.Acknowledged).Select(o => o.Answer.FinishedMs).DefaultIfEmpty(returnOps.Max(o => o.Answer.FinishedMs)).Min();
                    if (asked == 0)
                    {
                        continue;
                    }

                    if (applied.Count > 1)
                    {
                        Find(Anomaly.RepeatedRestock, firstAck, $"return {returnId} restocked {applied.Count}×: {what}");
                    }
                    else if (applied.Count == 1 && applied[0].Delta != asked)
                    {
                        Find(Anomaly.Other, firstAck, $"return {returnId} restocked {applied[0].Delta} units of {asked}: {what}");
                    }
                    else if (applied.Count == 0 && done == Tri.Yes)
                    {
                        Find(Anomaly.Other, firstAck, $"acknowledged return {returnId} restocked nothing: {what}");
                    }
                    else if (applied.Count > 0 && done == Tri.No)
                    {
                        Find(Anomaly.Other, firstAck, $"refused return {returnId} restocked: {what}");
                    }
                }
            }
        }

        // Adjustments, idempotent by id: applied once if acknowledged, never if refused, maybe if unknown.
        foreach (var group in byId.Where(g => g.Value.Any(o => o.Kind == "adjust")))
        {
            var adjustments = group.Value.Where(o => o.Kind == "adjust").ToList();
            var first = adjustments[0];
            var sku = first.Sku!;
            known.Add((group.Key, sku));
            var acked = adjustments.Where(o => o.Acknowledged).ToList();
            var last = adjustments.MaxBy(o => o.Answer.FinishedMs)!;
            var applied = acked.Count > 0 ? Tri.Yes : last.Refused ? Tri.No : Tri.Maybe;
            if (lo.ContainsKey(sku))
            {
                Allow(sku, group.Key, applied == Tri.Yes ? first.Delta : applied == Tri.Maybe ? Math.Min(0, first.Delta) : 0,
                    applied == Tri.Yes ? first.Delta : applied == Tri.Maybe ? Math.Max(0, first.Delta) : 0);
                supply[sku] += applied == Tri.Yes ? first.Delta : applied == Tri.Maybe ? Math.Max(0, first.Delta) : 0;
            }

            var count = (rows.GetValueOrDefault((group.Key, sku)) ?? []).Count(r => r.Kind == "adjust");
            var what = $"adjustment {group.Key} {sku} {first.Delta:+0;-0}: answers [{string.Join(",", adjustments.Select(o => o.Answer.Status))}], applied {count}×";
            if (count > 1)
            {
                Find(Anomaly.Other, acked.Select(o => o.Answer.FinishedMs).DefaultIfEmpty(last.Answer.FinishedMs).Min(), $"adjustment applied twice: {what}");
            }
            else if (count == 0 && applied == Tri.Yes)
            {
                Find(Anomaly.Other, acked.Min(o => o.Answer.FinishedMs), $"acknowledged adjustment lost: {what}");
            }
            else if (count == 1 && applied == Tri.No)
            {
                Find(Anomaly.Other, last.Answer.FinishedMs, $"refused adjustment applied: {what}");
            }
        }

        foreach (var row in state.Ledger.Where(r => r.Kind != "set" && !known.Contains((r.Reference, r.Sku))))
        {
            Find(Anomaly.Other, row.AtMs, $"ledger {row.Sku}#{row.Seq} {row.Kind} {row.Delta:+0;-0} by '{row.Reference}' matches no request");
        }

        // Below zero: in any ledger row, or acknowledged sales beyond every unit that was ever supplied (initial + adjustments,
        // unknown restocks counted as applied): stock ends at initial + adjustments − sales, which may not be negative.
        foreach (var group in state.Ledger.Where(r => r.AvailableAfter < 0).GroupBy(r => r.Sku, StringComparer.Ordinal))
        {
            var row = group.First();
            Find(Anomaly.BelowZero, row.AtMs, $"{row.Sku}: ledger row #{row.Seq} {row.Kind} by '{row.Reference}' left {row.AvailableAfter} units");
        }

        foreach (var group in sold.GroupBy(s => s.Sku, StringComparer.Ordinal).Where(g => supply.ContainsKey(g.Key)))
        {
            long total = 0;
            foreach (var (atMs, sku, u) in group.OrderBy(s => s.AtMs))
            {
                total += u;
                if (total > supply[sku])
                {
                    Find(Anomaly.BelowZero, atMs, $"{sku}: acknowledged sales reached {total} units, beyond all supply {supply[sku]}");
                    break;
                }
            }
        }

        // The end state against the model: Redis = SQL, both within [lo, hi].
        foreach (var (sku, _) in stocks)
        {
            report.Skus++;
            var s = state.Skus.GetValueOrDefault(sku) ?? new SkuState(null, 0, null, null, 0, 0);
            var range = $"model [{lo[sku]}, {hi[sku]}], redis {s.RedisAvailable?.ToString(CultureInfo.InvariantCulture) ?? "missing"}@{s.RedisSeq}, " +
                $"sql {s.SqlAvailable?.ToString(CultureInfo.InvariantCulture) ?? "missing"}@{s.SqlSeq}, ledger {s.LedgerRows} rows";
            report.ExactSkus += lo[sku] == hi[sku] ? 1 : 0;
            if (s.RedisAvailable is null || !s.Settled)
            {
                report.RedisSqlMismatches++;
                report.SkuExamples.Add($"{sku}: Redis ≠ SQL: {range}");
            }

            if (s.RedisHeld != 0)
            {
                Find(Anomaly.Other, 0, $"{sku}: {s.RedisHeld} units still held after every hold ended: {range}");
            }

            var values = new[] { s.RedisAvailable, s.SqlAvailable }.OfType<long>().ToList();
            if (values.Any(v => v < 0))
            {
                Find(Anomaly.BelowZero, 0, $"{sku}: stock below zero at the end: {range}");
            }

            if (values.Any(v => v < lo[sku] || v > hi[sku]))
            {
                report.OutsideModel++;
                report.SkuExamples.Add($"{sku}: outside the model: {range}; requests off their allowance: {OffAllowance(sku, state.Ledger, allowed)}");
            }

            if (values.Count > 0 && values.Max() > hi[sku])
            {
                Find(Anomaly.PhantomUnits, 0, $"{sku}: {values.Max() - hi[sku]} units above the model: {range}", values.Max() - hi[sku]);
            }

            if (values.Count > 0 && values.Min() < lo[sku])
            {
                Find(Anomaly.Other, 0, $"{sku}: {lo[sku] - values.Min()} units below what the model allows: {range}");
            }
        }

        return report;
    }
}
