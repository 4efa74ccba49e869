using Inventory.Persistence;
using Inventory.Telemetry;

namespace Inventory.Engine;

/// <summary>
/// Runs a persist task: page by page, in one transaction each, it locks the partition's cursor, reads the journal
/// after it, appends those entries to the ledger, creates the page's children and moves the cursor. Reading from
/// SQL's cursor rather than from the message's range is what makes duplicate, reordered and lost messages harmless:
/// whatever arrives, each entry is copied once, in journal order, and the cursor never passes an entry SQL lacks.
/// </summary>
/// <remarks>
/// A page whose (sku, seq) SQL already holds with other content is a history that diverged from SQL's (a lossy
/// failover). The partition is blocked before anything of the page commits, and the clashing entries are recorded
/// under new sequences (<see cref="DivergentHistory"/>); the rebuild then puts SQL's stock and sequences back into
/// Redis. Without a blocker the page fails: a diverged partition must never be persisted past unnoticed.
/// </remarks>
public sealed class PersistRunner(ITaskStore store, IJournal journal, ChildPlanner planner, TaskEngineOptions options, IPartitionBlocker? blocker = null)
{
    /// <returns>The shards that received children.</returns>
    public async Task<IReadOnlySet<int>> RunAsync(ClaimedTask task, CancellationToken cancellationToken)
    {
        var range = WakeupMessage.Parse(task.Payload);
        var touched = new HashSet<int>();
        for (var page = 1; ; page++)
        {
            await using var tx = await store.BeginAsync(cancellationToken).ConfigureAwait(false);
            await tx.RenewAsync(task.Shard, [task.Id], task.LeaseToken, options.Lease, cancellationToken).ConfigureAwait(false);
            var cursor = await tx.LockCursorAsync(range.Partition, cancellationToken).ConfigureAwait(false);

            var entries = IsThrough(cursor, range.ThroughId)
                ? []
                : await journal.ReadAsync(range.Partition, cursor, options.JournalPageSize, cancellationToken).ConfigureAwait(false);

            var last = entries.Count < options.JournalPageSize
                || page >= options.MaxPagesPerRun
                || IsThrough(entries[^1].StreamId, range.ThroughId);

            if (entries.Count > 0)
            {
                entries = await InsertAsync(tx, task.Id, range.Partition, entries, cancellationToken).ConfigureAwait(false);
                var created = 0;
                foreach (var (shard, child) in planner.Plan(task, range.Partition, entries))
                {
                    if (await tx.InsertTaskAsync(shard, child, cancellationToken).ConfigureAwait(false) is not null)
                    {
                        created++;
                        touched.Add(shard);
                    }
                }

                if (created > 0)
                {
                    await tx.AddChildrenAsync(task.Shard, task.Id, task.LeaseToken, created, cancellationToken).ConfigureAwait(false);
                }

                await tx.AdvanceCursorAsync(range.Partition, entries[^1].StreamId, cancellationToken).ConfigureAwait(false);
            }

            if (last)
            {
                await tx.CompleteAsync(task.Shard, [task.Id], task.LeaseToken, cancellationToken).ConfigureAwait(false);
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            InventoryTelemetry.Persisted(entries, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            if (last)
            {
                return touched;
            }
        }
    }

    /// <returns>The entries as SQL now holds them (renumbered where they diverged).</returns>
    private async Task<IReadOnlyList<JournalEntry>> InsertAsync(
        ITaskTransaction tx, long taskId, int partition, IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken)
    {
        var result = await tx.InsertLedgerAsync(taskId, entries, cancellationToken).ConfigureAwait(false);
        if (!result.Diverged)
        {
            return entries;
        }

        var clashes = result.Divergent.ToHashSet();
        var divergent = entries.Where(e => clashes.Contains((e.Sku, e.Sequence))).ToList();
        InventoryTelemetry.LedgerDiverged(partition, divergent.Count);
        if (blocker is null)
        {
            throw new InvalidOperationException(
                $"Partition {partition}'s journal diverged from SQL at {Describe(divergent)} and no partition blocker is configured to stop it.");
        }

        var latest = await tx.GetLatestLedgerAsync(divergent.Select(e => e.Sku).Distinct(StringComparer.Ordinal).ToList(), cancellationToken).ConfigureAwait(false);
        var (page, renumbered) = DivergentHistory.Renumber(entries, result.Divergent, latest);

        // Blocked before the page commits: if the commit then fails, the partition waits for a rebuild that finds the
        // page again; if blocking fails, nothing commits and the page is retried.
        await blocker.BlockAsync(partition, divergent, renumbered, cancellationToken).ConfigureAwait(false);
        var again = await tx.InsertLedgerAsync(taskId, page, cancellationToken).ConfigureAwait(false);
        if (again.Diverged)
        {
            throw new InvalidOperationException($"Partition {partition}'s renumbered page still clashes with SQL at {string.Join(", ", again.Divergent)}.");
        }

        return page;
    }

    private static string Describe(IEnumerable<JournalEntry> entries) =>
        string.Join(", ", entries.Take(10).Select(e => $"({e.Sku}, {e.Sequence})"));

    private static bool IsThrough(string id, string? throughId) => throughId is not null && StreamIds.Compare(id, throughId) >= 0;
}
