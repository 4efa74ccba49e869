using Inventory.Persistence;
using Inventory.Telemetry;

namespace Inventory.Engine;

/// <summary>
/// Runs a persist task: page by page, in one transaction each, it locks the partition's cursor, reads the journal
/// after it, appends those entries to the ledger, creates the page's children and moves the cursor. Reading from
/// SQL's cursor rather than from the message's range is what makes duplicate, reordered and lost messages harmless:
/// whatever arrives, each entry is copied once, in journal order, and the cursor never passes an entry SQL lacks.
/// </summary>
public sealed class PersistRunner(ITaskStore store, IJournal journal, ChildPlanner planner, TaskEngineOptions options)
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
                await tx.InsertLedgerAsync(task.Id, entries, cancellationToken).ConfigureAwait(false);
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

    private static bool IsThrough(string id, string? throughId) => throughId is not null && StreamIds.Compare(id, throughId) >= 0;
}
