using Inventory.Persistence;
using Inventory.Telemetry;

namespace Inventory.Engine;

/// <summary>A partition's journal as operators see it: how long the Redis journal is and how far SQL holds it.</summary>
public sealed record PartitionState(int Partition, long? JournalLength, string PersistedThrough);

public sealed record EngineStats(
    IReadOnlyList<ShardBacklog> Backlog,
    double OldestActiveAgeSeconds,
    IReadOnlyList<PartitionState> Partitions);

/// <summary>What the operator routes call: stats, the dead list, and retrying a dead task.</summary>
public sealed class TaskOperations(ITaskStore store, ILedgerReader ledger, IJournal journal)
{
    public async Task<EngineStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        var backlog = await store.GetBacklogAsync(cancellationToken).ConfigureAwait(false);
        InventoryTelemetry.ReportBacklog(backlog);
        var cursors = (await ledger.GetCursorsAsync(cancellationToken).ConfigureAwait(false))
            .ToDictionary(c => c.JournalPartition, c => c.PersistedThrough);
        // All partitions at once: read one after another, a Redis that is away cost one timeout each (16 × 2 s).
        var lengths = await Task.WhenAll(Enumerable.Range(0, journal.PartitionCount).Select(p => LengthOrNullAsync(p, cancellationToken))).ConfigureAwait(false);
        var partitions = lengths.Select((length, partition) => new PartitionState(partition, length, cursors.GetValueOrDefault(partition, "0"))).ToList();

        var oldest = backlog
            .Where(b => b.Status is TaskStatuses.Pending or TaskStatuses.Running or TaskStatuses.Waiting)
            .Select(b => b.OldestAgeSeconds)
            .DefaultIfEmpty(0)
            .Max();
        return new EngineStats(backlog, oldest, partitions);
    }

    private async Task<long?> LengthOrNullAsync(int partition, CancellationToken cancellationToken)
    {
        try
        {
            return await journal.LengthAsync(partition, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Stats must still answer while Redis is away; that is when operators need them.
            return null;
        }
    }

    public Task<IReadOnlyList<TaskRecord>> GetDeadAsync(int limit = 100, CancellationToken cancellationToken = default) =>
        store.ListDeadAsync(Math.Clamp(limit, 1, 1000), cancellationToken);

    public Task<bool> RetryAsync(long taskId, CancellationToken cancellationToken = default) =>
        store.RetryDeadAsync(taskId, cancellationToken);
}
