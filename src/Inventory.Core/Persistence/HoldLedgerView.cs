using System.Globalization;
using Inventory.Domain;

namespace Inventory.Persistence;

/// <summary>
/// A reservation as SQL's ledger remembers it, for answering it after Redis lost its home: what it held (and answered),
/// and how it ended. <see cref="State"/> is <see cref="HoldState.Held"/> while any line of its latest attempt has not
/// ended (still held, or a commit stopped midway): the rebuild restores those, so the ledger does not answer them.
/// </summary>
/// <param name="Held">Each line with the stock right after it was held (the hold's answer), in SKU order.</param>
/// <param name="OrderId">The order a commit converted its units to (committed only).</param>
/// <param name="Ended">The commit's answer (each line with the stock right after its conversion), or the release's or
/// expiry's (the stock right after each restock); null for a commit that gave up after converting part (its answer was 409).</param>
public sealed record LedgerHold(string ReservationId, HoldState State, long ExpiresAt, long Attempt, string? CustomerId,
    IReadOnlyList<LineResult> Held, string? OrderId, IReadOnlyList<LineResult>? Ended);

public static class HoldLedgerView
{
    /// <summary>
    /// From a reservation's hold, release and expire rows and the commit rows naming it (ledger_reservation.sql). Only
    /// the latest attempt counts (an earlier one was refused and rolled back); per SKU, the first release, expire or
    /// commit after its hold row ended it. Null when no hold row carries an expiry (journaled before they did).
    /// </summary>
    public static LedgerHold? From(string reservationId, IEnumerable<LedgerRow> rows)
    {
        var all = rows.DistinctBy(r => (r.Sku, r.Seq)).ToList();
        var holds = all.Where(r => r.Kind == ChangeKinds.Hold)
            .Select(r => (Row: r, Reason: (r.Reason ?? "").Split(' ')))
            .Where(r => r.Reason.Length >= 2 && long.TryParse(r.Reason[0], CultureInfo.InvariantCulture, out _) && long.TryParse(r.Reason[1], CultureInfo.InvariantCulture, out _))
            .ToList();
        if (holds.Count == 0)
        {
            return null;
        }

        var attempt = holds.Max(h => long.Parse(h.Reason[1], CultureInfo.InvariantCulture));
        var latest = holds.Where(h => long.Parse(h.Reason[1], CultureInfo.InvariantCulture) == attempt)
            .GroupBy(h => h.Row.Sku, StringComparer.Ordinal).Select(g => g.MaxBy(h => h.Row.Seq))
            .OrderBy(h => h.Row.Sku, StringComparer.Ordinal).ToList();
        var reason = latest[0].Reason;
        var ends = latest.Select(h => all.Where(r => r.Sku == h.Row.Sku && r.Seq > h.Row.Seq
                && (r.Kind == ChangeKinds.Commit ? r.Reason == reservationId : r.Kind is ChangeKinds.Release or ChangeKinds.Expire && r.ReferenceId == reservationId))
            .MinBy(r => r.Seq)).ToList();
        var held = latest.Select(h => new LineResult(h.Row.Sku, -h.Row.Delta, h.Row.AvailableAfter)).ToList();
        var customer = reason.Length > 2 && reason[2].Length > 0 ? reason[2] : null;
        var expiresAt = long.Parse(reason[0], CultureInfo.InvariantCulture);
        LedgerHold Ended(HoldState state, string? orderId, IReadOnlyList<LineResult>? answer) =>
            new(reservationId, state, expiresAt, attempt, customer, held, orderId, answer);

        if (ends.Any(e => e is null))
        {
            return Ended(HoldState.Held, null, null);
        }

        var kinds = ends.Select(e => e!.Kind).ToHashSet(StringComparer.Ordinal);
        var answer = held.Zip(ends, (h, e) => new LineResult(h.Sku, h.Quantity, e!.AvailableAfter)).ToList();
        if (kinds.Contains(ChangeKinds.Commit))
        {
            // Some lines converted and the rest released: a commit that gave up once its order was cancelled (409).
            return Ended(HoldState.Committed, ends.First(e => e!.Kind == ChangeKinds.Commit)!.ReferenceId, kinds.Count == 1 ? answer : null);
        }

        return Ended(kinds.Contains(ChangeKinds.Expire) ? HoldState.Expired : HoldState.Released, null, answer);
    }
}
