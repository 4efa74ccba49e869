namespace Inventory.Persistence;

/// <summary>
/// What SQL records of journal entries that reuse sequences SQL already holds with other content. After a lossy
/// failover Redis lost changes SQL has, and numbered new ones from its older sequence. Both are real: SQL's rows are
/// sales already acknowledged, the new entries are sales acknowledged since. So SQL keeps its rows as they are, and
/// each SKU's entries from its first clash on are renumbered after SQL's latest row, keeping what each one did:
/// a deduction, cancel, void or adjustment its delta, a stock set its absolute amount. Stock after each is
/// recomputed on SQL's history, which may go below zero if both histories sold the same last units: that oversell
/// happened, and the ledger shows it rather than conjuring units.
/// </summary>
public static class DivergentHistory
{
    /// <param name="page">The journal entries, in journal order.</param>
    /// <param name="divergent">The keys SQL holds with other content.</param>
    /// <param name="latest">SQL's latest row of each SKU with a divergent key.</param>
    /// <returns>The page with those SKUs' entries from their first clash on renumbered, and those entries alone.</returns>
    public static (IReadOnlyList<JournalEntry> Page, IReadOnlyList<JournalEntry> Renumbered) Renumber(
        IReadOnlyList<JournalEntry> page, IReadOnlyCollection<(string Sku, long Seq)> divergent, IReadOnlyCollection<LedgerPoint> latest)
    {
        var clashes = divergent.ToHashSet();
        var last = latest.ToDictionary(p => p.Sku, p => (p.Seq, p.AvailableAfter), StringComparer.Ordinal);
        var diverged = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<JournalEntry>(page.Count);
        var renumbered = new List<JournalEntry>();
        foreach (var entry in page)
        {
            // Once a SKU clashed, each later entry of it continues Redis's diverged numbering, so it is renumbered too
            // even where its sequence happens to be free in SQL.
            if (clashes.Contains((entry.Sku, entry.Sequence)))
            {
                diverged.Add(entry.Sku);
            }

            if (!diverged.Contains(entry.Sku))
            {
                result.Add(entry);
                continue;
            }

            if (!last.TryGetValue(entry.Sku, out var before))
            {
                throw new InvalidOperationException($"SQL holds ({entry.Sku}, {entry.Sequence}) but no latest row of {entry.Sku}.");
            }

            var after = entry.Kind == ChangeKinds.Set ? entry.AvailableAfter : before.AvailableAfter + entry.Delta;
            var moved = entry with
            {
                Sequence = before.Seq + 1,
                Delta = after - before.AvailableAfter,
                AvailableAfter = after,
                Reason = entry.Reason is null ? $"renumbered from {entry.Sequence}" : $"{entry.Reason} (renumbered from {entry.Sequence})",
            };
            last[entry.Sku] = (moved.Sequence, after);
            result.Add(moved);
            renumbered.Add(moved);
        }

        return (result, renumbered);
    }
}
