using Inventory.Persistence;
using Inventory.Telemetry;

namespace Inventory.Engine;

/// <summary>Timer: returns expired leases (crashed or stuck workers) to pending, or dead when out of attempts.</summary>
public sealed class StaleLeaseSweeper(ITaskStore store, TaskEngineOptions options)
{
    public Task<EngineReport> RunAsync(CancellationToken cancellationToken = default) =>
        InventoryTelemetry.TraceEngineRunAsync("stale_leases", () => UnlockAsync(cancellationToken));

    private async Task<EngineReport> UnlockAsync(CancellationToken cancellationToken)
    {
        var report = new EngineReport();
        for (var shard = 0; shard < store.ShardCount; shard++)
        {
            int unlocked;
            do
            {
                unlocked = await store.UnlockStaleAsync(shard, options.UnlockBatchSize, cancellationToken).ConfigureAwait(false);
                report.AddAffected(unlocked);
            }
            while (unlocked == options.UnlockBatchSize);
        }

        return report;
    }
}

/// <summary>Timer: deletes done tasks past their retention in bounded batches. Dead tasks stay for operators.</summary>
public sealed class TaskPruner(ITaskStore store, TaskEngineOptions options)
{
    public Task<EngineReport> RunAsync(CancellationToken cancellationToken = default) =>
        InventoryTelemetry.TraceEngineRunAsync("prune", () => PruneAsync(cancellationToken));

    private async Task<EngineReport> PruneAsync(CancellationToken cancellationToken)
    {
        var report = new EngineReport();
        for (var shard = 0; shard < store.ShardCount; shard++)
        {
            for (var batch = 0; batch < options.PruneBatchesPerRun; batch++)
            {
                var pruned = await store.PruneAsync(shard, options.DoneRetention, options.PruneBatchSize, cancellationToken).ConfigureAwait(false);
                report.AddAffected(pruned);
                if (pruned < options.PruneBatchSize)
                {
                    break;
                }
            }
        }

        return report;
    }
}

/// <summary>
/// Timer: for every partition whose journal holds entries past SQL's cursor for longer than the grace period,
/// creates a persist task (one per cursor position) and runs it. This recovers lost, poisoned or never-sent
/// wakeup messages and dead persist tasks' ranges alike.
/// </summary>
public sealed class JournalSweeper(
    ITaskStore store,
    ILedgerReader ledger,
    IJournal journal,
    TaskSharding sharding,
    TaskDispatcher dispatcher,
    TaskEngineOptions options,
    TimeProvider? time = null)
{
    public Task<EngineReport> RunAsync(CancellationToken cancellationToken = default) =>
        InventoryTelemetry.TraceEngineRunAsync("journal_sweep", () => SweepAsync(cancellationToken));

    private async Task<EngineReport> SweepAsync(CancellationToken cancellationToken)
    {
        var report = new EngineReport();
        var cursors = (await ledger.GetCursorsAsync(cancellationToken).ConfigureAwait(false))
            .ToDictionary(c => c.JournalPartition, c => c.PersistedThrough);
        var now = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        var shards = new HashSet<int>();
        for (var partition = 0; partition < journal.PartitionCount; partition++)
        {
            var cursor = cursors.GetValueOrDefault(partition, "0");
            var next = await journal.ReadAsync(partition, cursor, 1, cancellationToken).ConfigureAwait(false);
            if (next.Count == 0 || now - next[0].TimestampMs < options.SweepGrace.TotalMilliseconds)
            {
                continue;
            }

            var shard = sharding.OfPartition(partition);
            var task = PersistTasks.For(new WakeupMessage(partition, cursor, null), options.MaxAttempts);
            if (await store.InsertAsync(shard, task, cancellationToken).ConfigureAwait(false) is not null)
            {
                report.AddAffected(1);
                InventoryTelemetry.JournalRecovered(partition);
            }

            shards.Add(shard);
        }

        if (shards.Count > 0)
        {
            report.Add(await dispatcher.DrainAsync(shards, options.DrainBudget, cancellationToken).ConfigureAwait(false));
        }

        return report;
    }
}
