namespace Inventory.LoadDriver;

public static partial class HistoryChecker
{
    /// <summary>An order a commit may have made: <see cref="Committed"/> says whether it did.</summary>
    private sealed record CommittedOrder(string OrderId, string ReservationId, IReadOnlyList<LineRecord> Lines, Tri Committed, List<HistoryOp> Commits);

    private delegate void Finder(Anomaly kind, long atMs, string text);

    /// <summary>
    /// Each reservation against the ledger after every hold ended: per SKU each <c>hold</c> row is followed by exactly one
    /// end (<c>commit</c> naming the reservation, <c>release</c> or <c>expire</c> of the same units) before the next
    /// hold; the last ends agree across SKUs (committed, or given back); and they agree with the answers: a 200 commit
    /// to its order, a 200 release released, a 409 <c>expired</c> / <c>released</c> / <c>committed</c> that outcome,
    /// nothing released or committed that nobody asked for. Returns the orders the commits made (or may have made).
    /// </summary>
    private static List<CommittedOrder> CheckReservations(
        List<HistoryOp> ops, IReadOnlyList<ClientRecord> records, SystemState state, Dictionary<(string Reference, string Sku), List<LedgerRow>> rows,
        HashSet<(string Reference, string Sku)> known, HistoryReport report, Finder find)
    {
        var resolutions = records.OfType<ReservationResolution>().GroupBy(r => r.ReservationId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var orderResolutions = records.OfType<ResolutionRecord>().GroupBy(r => r.OrderId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var commitRows = state.Ledger.Where(r => r.Kind == "commit" && r.Reason is not null)
            .GroupBy(r => (Reservation: r.Reason!, r.Sku)).ToDictionary(g => g.Key, g => g.ToList());
        var orders = new List<CommittedOrder>();
        foreach (var group in ops.Where(o => o.Kind is "hold" or "commit" or "release").GroupBy(o => o.Id, StringComparer.Ordinal))
        {
            var id = group.Key;
            var holds = group.Where(o => o.Kind == "hold").ToList();
            var commits = group.Where(o => o.Kind == "commit").ToList();
            var releases = group.Where(o => o.Kind == "release").ToList();
            var lines = holds.Concat(commits).Concat(releases).First().Lines!;
            var heldMs = holds.Where(o => o.Acknowledged).Select(o => o.Answer.FinishedMs).DefaultIfEmpty(holds.Select(o => o.Answer.FinishedMs).DefaultIfEmpty(0).Max()).Min();
            var answers = $"reservation {id}: hold [{Statuses(holds)}] commit [{Statuses(commits)}] release [{Statuses(releases)}]";
            report.Reservations++;

            // Per SKU: hold, end, hold, end... and the end of the last hold.
            var finals = new Dictionary<string, LedgerRow?>(StringComparer.Ordinal);
            var anyHoldRow = false;
            foreach (var sku in lines.Select(l => l.Sku).Distinct(StringComparer.Ordinal))
            {
                known.Add((id, sku));
                var mine = (rows.GetValueOrDefault((id, sku)) ?? []).Concat(commitRows.GetValueOrDefault((id, sku)) ?? []).OrderBy(r => r.Seq).ToList();
                var what = $"{answers}, {sku} ledger {string.Join(" ", mine.Select(r => $"{r.Kind}{r.Delta:+0;-0}@{r.Seq}"))}";
                LedgerRow? open = null;
                LedgerRow? final = null;
                foreach (var row in mine)
                {
                    known.Add((row.Reference, sku));
                    if (row.Kind == "hold")
                    {
                        anyHoldRow = true;
                        if (open is not null)
                        {
                            find(Anomaly.Other, heldMs, $"held again before the hold ended: {what}");
                        }

                        open = row;
                        final = null;
                    }
                    else if (row.Kind is "release" or "expire" or "commit")
                    {
                        if (open is null)
                        {
                            find(row.Kind == "commit" ? Anomaly.Doubled : Anomaly.RepeatedRestock, row.AtMs, $"ended twice (or without a hold): {what}");
                            continue;
                        }

                        if (row.Kind != "commit" && row.Delta != -open.Delta)
                        {
                            find(Anomaly.Other, row.AtMs, $"gave back other units than it held: {what}");
                        }

                        final = row;
                        open = null;
                    }
                    else
                    {
                        find(Anomaly.Other, row.AtMs, $"a reservation's ledger row of kind {row.Kind}: {what}");
                    }
                }

                if (open is not null)
                {
                    find(Anomaly.Other, open.AtMs, $"still held after every hold should have ended: {what}");
                }

                finals[sku] = final;
            }

            var ends = finals.Values.OfType<LedgerRow>().Select(r => r.Kind).Distinct(StringComparer.Ordinal).ToList();
            var outcome = (holds.Any(o => o.Acknowledged) ? "" : "refused ") + (ends.Count == 1 && finals.Values.All(r => r is not null) ? ends[0] : ends.Count == 0 ? "none" : "mixed");
            report.ReservationOutcomes[outcome] = report.ReservationOutcomes.GetValueOrDefault(outcome) + 1;
            var ledger = $"{answers}, ends {string.Join(" ", finals.Select(f => $"{f.Key}:{f.Value?.Kind ?? "-"}{(f.Value?.Kind == "commit" ? "→" + f.Value.Reference : "")}"))}";
            if (ends.Contains("commit") && ends.Count > 1)
            {
                find(Anomaly.Other, heldMs, $"both committed and given back: {ledger}");
            }

            if (holds.Any(o => o.Acknowledged) && !anyHoldRow)
            {
                find(Anomaly.Other, heldMs, $"acknowledged hold left no hold rows: {ledger}");
            }

            bool EndsAll(string kind, string? order = null) =>
                finals.Values.All(r => r is not null && r.Kind == kind && (order is null || r.Reference == order));

            foreach (var commit in commits.Where(c => c.Acknowledged))
            {
                if (!EndsAll("commit", commit.Ref))
                {
                    find(Anomaly.LostSale, commit.Answer.FinishedMs, $"acknowledged commit to {commit.Ref} undone: {ledger}");
                    break;
                }
            }

            foreach (var release in releases.Where(c => c.Acknowledged))
            {
                if (!EndsAll("release"))
                {
                    find(Anomaly.Other, release.Answer.FinishedMs, $"acknowledged release not released: {ledger}");
                    break;
                }
            }

            foreach (var refused in commits.Concat(releases).Where(o => o.Refused && o.Answer.Status == 409))
            {
                var said = StatusOf(refused.Answer.Body);
                var expected = said switch { "expired" => "expire", "released" => "release", "committed" => "commit", _ => null };
                if (expected is not null && !EndsAll(expected))
                {
                    find(Anomaly.Other, refused.Answer.FinishedMs, $"{refused.Kind} answered 409 {said}, yet the reservation did not end so: {ledger}");
                    break;
                }
            }

            if (ends.Contains("commit") && commits.Count == 0)
            {
                find(Anomaly.Other, heldMs, $"committed without any commit: {ledger}");
            }

            if (ends.Contains("release") && releases.Count == 0 && holds.Any(o => o.Acknowledged))
            {
                find(Anomaly.Other, heldMs, $"an acknowledged hold released without any release: {ledger}");
            }

            // The orders its commits may have made, for the order checks and the model.
            var resolution = resolutions.GetValueOrDefault(id);
            foreach (var byOrder in commits.GroupBy(c => c.Ref!, StringComparer.Ordinal))
            {
                var orderResolution = orderResolutions.GetValueOrDefault(byOrder.Key);
                var committed = byOrder.Any(c => c.Acknowledged) ? Tri.Yes
                    : byOrder.All(c => c.Refused) ? Tri.No
                    : resolution switch
                    {
                        { Status: 200, State: "committed" } r when r.OrderId == byOrder.Key => Tri.Yes,
                        { Status: 200, State: "committed" or "released" or "expired" } or { Status: 404 } => Tri.No,
                        _ => orderResolution switch
                        {
                            { Status: 200, State: "deducted" or "cancelled" } => Tri.Yes,
                            { Status: 404 } => Tri.No,
                            _ => Tri.Maybe,
                        },
                    };
                orders.Add(new CommittedOrder(byOrder.Key, id, lines, committed, [.. byOrder]));
            }
        }

        return orders;
    }

    /// <summary>A commit row's units: those of the reservation's latest hold row of the SKU before it (its delta is 0).</summary>
    private static long CommitUnits(LedgerRow commit, Dictionary<(string Reference, string Sku), List<LedgerRow>> rows) =>
        -(rows.GetValueOrDefault((commit.Reason ?? "", commit.Sku)) ?? []).Where(r => r.Kind == "hold" && r.Seq < commit.Seq).MaxBy(r => r.Seq)?.Delta ?? 0;

    private static string Statuses(IEnumerable<HistoryOp> ops) => string.Join(",", ops.Select(o => o.Answer.Status));

    /// <summary>The <c>status</c> of a refusal's body (<c>expired</c>, <c>cancelled</c>...), null if there is none.</summary>
    private static string? StatusOf(string? body)
    {
        if (body is null)
        {
            return null;
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && document.RootElement.TryGetProperty("status", out var s)
                && s.ValueKind == System.Text.Json.JsonValueKind.String ? s.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
