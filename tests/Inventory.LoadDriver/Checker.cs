namespace Inventory.LoadDriver;

/// <summary>Counts for one row of the fault table: the orders whose lifetime overlapped a fault of one kind.</summary>
public sealed class FaultRow(string fault)
{
    public string Fault { get; } = fault;

    public int Injected { get; set; }

    public long Orders { get; set; }

    public long Accepted { get; set; }

    public long NoAnswer { get; set; }

    public long Lost { get; set; }

    public long Doubled { get; set; }

    public long Phantom { get; set; }
}

/// <summary>
/// Proves from the clients' records, Redis, SQL stock and the SQL ledger what a run lost, doubled or oversold.
/// Pure: <see cref="Evaluate"/> takes what was read and decides, so it can be tested without servers.
/// </summary>
public static class Checker
{
    /// <summary>Orders ending this long after a fault ended still count as overlapping it (recovery is not instant).</summary>
    public static readonly TimeSpan FaultGrace = TimeSpan.FromSeconds(5);

    public static CheckReport Evaluate(IReadOnlyList<ClientRecord> records, IReadOnlyList<FaultRecord> faults, SystemState state, TimeSpan? drainedAfter)
    {
        var report = new CheckReport { DrainedAfter = drainedAfter, DeadTasks = state.DeadTasks, PendingClaims = state.PendingClaims };
        var stocks = records.OfType<StockRecord>().ToDictionary(s => s.Sku, StringComparer.Ordinal);
        var orders = records.OfType<OrderRecord>().ToList();
        var adjustments = records.OfType<AdjustmentRecord>().ToList();
        var ledgerByRef = state.Ledger.GroupBy(r => (r.Reference, r.Sku)).ToDictionary(g => g.Key, g => new RefRows(g.ToList()));

        // Orders and their cancels against the ledger.
        var orderIds = orders.Select(o => o.OrderId).ToHashSet(StringComparer.Ordinal);
        var problems = new Dictionary<string, OrderProblem>(StringComparer.Ordinal);
        foreach (var order in orders)
        {
            var problem = CheckOrder(order, ledgerByRef, report);
            if (problem != OrderProblem.None)
            {
                problems[order.OrderId] = problem;
            }
        }

        // Adjustments: applied at most once, and once if the admin client saw 200.
        var adjustmentIds = adjustments.Select(a => (a.AdjustmentId, a.Sku)).ToHashSet();
        foreach (var adjustment in adjustments)
        {
            var applied = ledgerByRef.TryGetValue((adjustment.AdjustmentId, adjustment.Sku), out var rows) ? rows.Count("adjust") : 0;
            if (applied > 1)
            {
                report.DoubledAdjustments++;
                report.Example("adjustment applied twice", $"adjustment {adjustment.AdjustmentId} on {adjustment.Sku} applied {applied} times");
            }
            else if (applied == 0 && adjustment.Answer.IsOk())
            {
                report.LostAdjustments++;
                report.Example("adjustment lost", $"adjustment {adjustment.AdjustmentId} on {adjustment.Sku} answered 200 but is not in the ledger");
            }
            else if (applied == 1 && adjustment.Answer.IsFinal && !adjustment.Answer.IsOk())
            {
                report.Phantom++;
                report.Example("phantom", $"adjustment {adjustment.AdjustmentId} answered {adjustment.Answer.Status} but is in the ledger");
            }
        }

        // Ledger rows nobody asked for: deducts or cancels of orders no client recorded, adjustments nobody sent.
        foreach (var row in state.Ledger)
        {
            var stray = row.Kind switch
            {
                "deduct" or "cancel" => !orderIds.Contains(row.Reference),
                "adjust" => !adjustmentIds.Contains((row.Reference, row.Sku)),
                _ => false,
            };
            if (stray)
            {
                report.Phantom++;
                report.Example("phantom", $"ledger {row.Sku}#{row.Seq} {row.Kind} by '{row.Reference}' matches no client record");
            }
        }

        var ordersBySku = orders.SelectMany(o => o.UnitsBySku().Select(u => (Sku: u.Key, Order: o, Units: u.Value)))
            .ToLookup(x => x.Sku, x => (x.Order, x.Units), StringComparer.Ordinal);
        var adjustmentsBySku = adjustments.ToLookup(a => a.Sku, StringComparer.Ordinal);
        var rowsBySku = state.Ledger.ToLookup(r => r.Sku, StringComparer.Ordinal);
        foreach (var (sku, stock) in stocks)
        {
            CheckSku(sku, stock, state.Skus.GetValueOrDefault(sku), rowsBySku[sku].ToList(), ordersBySku[sku], adjustmentsBySku[sku], report);
        }

        report.Rows.AddRange(FaultTable(orders, faults, problems));
        return report;
    }

    private static OrderProblem CheckOrder(OrderRecord order, Dictionary<(string, string), RefRows> ledger, CheckReport report)
    {
        var problem = OrderProblem.None;
        foreach (var (sku, units) in order.UnitsBySku())
        {
            var rows = ledger.GetValueOrDefault((order.OrderId, sku)) ?? RefRows.Empty;
            var net = rows.Count("deduct") - rows.Count("void");
            var netUnits = -rows.Sum("deduct") - rows.Sum("void");
            var cancels = rows.Count("cancel");
            if (net > 1 || (net == 1 && netUnits > units))
            {
                report.Doubled++;
                problem |= OrderProblem.Doubled;
                report.Example("doubled", $"order {order.OrderId} ({order.Answer.Status}) deducted {sku} {net}× ({netUnits} units for {units})");
            }

            if (order.Answer.IsOk() && (net < 1 || netUnits < units))
            {
                report.Lost++;
                problem |= OrderProblem.Lost;
                report.Example("lost", $"order {order.OrderId} answered 200 after {order.Answer.Attempts} attempts but the ledger holds {net} net deducts of {sku} ({netUnits}/{units} units)");
            }

            if (order.Answer.IsFinal && !order.Answer.IsOk() && net != 0)
            {
                report.Phantom++;
                problem |= OrderProblem.Phantom;
                report.Example("phantom", $"order {order.OrderId} answered {order.Answer.Status} but the ledger holds {net} net deducts of {sku}");
            }

            var cancelled = order.Cancel is { } c && c.IsOk();
            if (cancels > 1 || rows.Sum("cancel") > units)
            {
                report.DoubledCancels++;
                problem |= OrderProblem.Doubled;
                report.Example("restocked twice", $"order {order.OrderId}: {sku} restocked {cancels}× ({rows.Sum("cancel")} units for {units})");
            }
            else if (cancelled && net == 1 && cancels == 0)
            {
                report.LostCancels++;
                problem |= OrderProblem.Lost;
                report.Example("cancel lost", $"order {order.OrderId}: cancel answered 200 but the ledger holds no restock of {sku}");
            }
            else if (cancels == 1 && (order.Cancel is null || (order.Cancel.IsFinal && !cancelled)))
            {
                report.Phantom++;
                problem |= OrderProblem.Phantom;
                report.Example("phantom", $"order {order.OrderId}: {sku} restocked though no client cancel succeeded");
            }
        }

        return problem;
    }

    private static void CheckSku(string sku, StockRecord stock, SkuState? state, List<LedgerRow> rows, IEnumerable<(OrderRecord Order, long Units)> orders,
        IEnumerable<AdjustmentRecord> adjustments, CheckReport report)
    {
        var s = state ?? new SkuState(null, 0, null, null, 0, 0);

        // The ledger as a chain: sequences 1..n without gaps, each available_after = previous + delta, never below zero.
        long previous = 0, expectedSeq = 1, lowest = 0;
        var broken = false;
        foreach (var row in rows)
        {
            broken |= row.Seq != expectedSeq++ || previous + row.Delta != row.AvailableAfter;
            previous = row.AvailableAfter;
            lowest = Math.Min(lowest, row.AvailableAfter);
        }

        var sets = rows.Where(r => r.Kind == "set").Sum(r => r.Delta);
        var deducted = -rows.Where(r => r.Kind == "deduct").Sum(r => r.Delta);
        var voided = rows.Where(r => r.Kind == "void").Sum(r => r.Delta);
        var cancelled = rows.Where(r => r.Kind == "cancel").Sum(r => r.Delta);
        var adjusted = rows.Where(r => r.Kind == "adjust").Sum(r => r.Delta);
        var formula = sets - deducted + voided + cancelled + adjusted;
        if (broken)
        {
            report.LedgerBreaks++;
            report.Example("ledger chain", $"{sku}: ledger chain broken (gap in sequences or available_after ≠ previous + delta)");
        }

        // What the clients were told bounds the stock: certain changes, plus a range for those without an answer.
        long certain = stock.Initial, low = 0, high = 0, soldToClients = 0;
        foreach (var (order, units) in orders)
        {
            if (order.Answer.IsOk())
            {
                certain -= units;
                soldToClients += units;
                if (order.Cancel is { } cancel && cancel.IsOk())
                {
                    certain += units;
                    soldToClients -= units;
                }
                else if (order.Cancel is { IsFinal: false })
                {
                    high += units;
                }
            }
            else if (!order.Answer.IsFinal)
            {
                low -= units;
            }
        }

        long supply = stock.Initial, supplyHigh = 0;
        foreach (var adjustment in adjustments)
        {
            if (adjustment.Answer.IsOk())
            {
                certain += adjustment.Delta;
                supply += adjustment.Delta;
            }
            else if (!adjustment.Answer.IsFinal)
            {
                low += Math.Min(0, adjustment.Delta);
                high += Math.Max(0, adjustment.Delta);
                supplyHigh += Math.Max(0, adjustment.Delta);
            }
        }

        var soldBeyondSupply = soldToClients - high > supply + supplyHigh;
        if (lowest < 0 || s.RedisAvailable < 0 || s.SqlAvailable < 0 || deducted - voided - cancelled > sets + adjusted || soldBeyondSupply)
        {
            report.Oversold++;
            report.Example("oversold", $"{sku}: OVERSOLD: lowest ledger stock {lowest}, redis {s.RedisAvailable}, sql {s.SqlAvailable}, clients were sold {soldToClients} of supply {supply}");
        }

        if (s.RedisAvailable is null || s.SqlAvailable != s.RedisAvailable || s.SqlSeq != s.RedisSeq || formula != s.RedisAvailable || !s.Settled)
        {
            report.SqlRedisMismatches++;
            report.Example("SQL ≠ Redis", $"{sku}: redis {s.RedisAvailable?.ToString() ?? "missing"}@{s.RedisSeq}, sql {s.SqlAvailable?.ToString() ?? "missing"}@{s.SqlSeq}, " +
                $"ledger {rows.Count} rows: set {sets} − deducted {deducted} + voided {voided} + cancelled {cancelled} + adjusted {adjusted} = {formula}");
        }

        if (s.RedisAvailable is { } available && (available < certain + low || available > certain + high))
        {
            report.OutsideClientBounds++;
            report.Example("outside client bounds", $"{sku}: stock {available} outside what clients were told: [{certain + low}, {certain + high}]");
        }
    }

    private static IEnumerable<FaultRow> FaultTable(List<OrderRecord> orders, IReadOnlyList<FaultRecord> faults, Dictionary<string, OrderProblem> problems)
    {
        var kinds = faults.Select(f => f.Fault).Distinct(StringComparer.Ordinal).ToList();
        var rows = kinds.ToDictionary(k => k, k => new FaultRow(k) { Injected = faults.Count(f => f.Fault == k) }, StringComparer.Ordinal);
        var quiet = new FaultRow("(no fault)");
        var all = new FaultRow("all orders") { Injected = faults.Count };
        var grace = (long)FaultGrace.TotalMilliseconds;
        foreach (var order in orders)
        {
            var start = order.Answer.StartedMs;
            var end = order.EndMs;
            var problem = problems.GetValueOrDefault(order.OrderId);
            var overlapping = faults.Where(f => f.AtMs <= end && start <= f.AtMs + f.DurationMs + grace);
            // An accepted sale can only be lost by something that happened after it was accepted: the first fault
            // at or after its start (it was not yet persisted when, say, Redis lost its data).
            var destroyer = problem.HasFlag(OrderProblem.Lost) ? faults.Where(f => f.AtMs >= start).MinBy(f => f.AtMs) : null;
            var hit = overlapping.Append(destroyer).OfType<FaultRecord>().Select(f => f.Fault).Distinct(StringComparer.Ordinal).ToList();
            foreach (var row in hit.Select(h => rows[h]).Append(all).Append(hit.Count == 0 ? quiet : null))
            {
                if (row is null)
                {
                    continue;
                }

                row.Orders++;
                row.Accepted += order.Answer.IsOk() ? 1 : 0;
                row.NoAnswer += order.Answer.IsFinal ? 0 : 1;
                row.Lost += problem.HasFlag(OrderProblem.Lost) ? 1 : 0;
                row.Doubled += problem.HasFlag(OrderProblem.Doubled) ? 1 : 0;
                row.Phantom += problem.HasFlag(OrderProblem.Phantom) ? 1 : 0;
            }
        }

        return rows.Values.Append(quiet).Append(all);
    }

    [Flags]
    private enum OrderProblem
    {
        None = 0,
        Lost = 1,
        Doubled = 2,
        Phantom = 4,
    }

    private sealed class RefRows(List<LedgerRow> rows)
    {
        public static readonly RefRows Empty = new([]);

        public int Count(string kind) => rows.Count(r => r.Kind == kind);

        public long Sum(string kind) => rows.Where(r => r.Kind == kind).Sum(r => r.Delta);
    }
}
