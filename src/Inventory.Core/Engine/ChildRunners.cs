using Inventory.Persistence;

namespace Inventory.Engine;

/// <summary>
/// Runs a batch of apply children together: the union of their SKUs gets one guarded upsert per SKU, so a hot SKU
/// with a backlog of children costs one row write per batch, not one per change.
/// </summary>
public sealed class ApplyRunner(ITaskStore store, TaskEngineOptions options, IStockEventPublisher? publisher)
{
    public async Task RunAsync(IReadOnlyList<ClaimedTask> tasks, CancellationToken cancellationToken)
    {
        var shard = tasks[0].Shard;
        var token = tasks[0].LeaseToken;
        var ids = tasks.Select(t => t.Id).ToArray();
        var skus = tasks
            .SelectMany(t => ApplyPayload.Parse(t.Payload).Skus)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();

        await using (var tx = await store.BeginAsync(cancellationToken).ConfigureAwait(false))
        {
            await tx.RenewAsync(shard, ids, token, options.Lease, cancellationToken).ConfigureAwait(false);
            await tx.ApplyStockAsync(skus, cancellationToken).ConfigureAwait(false);
            if (publisher is null)
            {
                await CompleteAsync(tx, tasks, cancellationToken).ConfigureAwait(false);
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                return;
            }

            var snapshots = await tx.GetStockAsync(skus, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);

            // Published between the stock write and the completion: a crash in between re-runs the children,
            // whose upsert is then a no-op, and publishes again. At least once.
            await publisher.PublishAsync(snapshots.Select(s => new StockSnapshot(s.Sku, s.Available, s.LastSeq)).ToList(), cancellationToken).ConfigureAwait(false);
        }

        await using var done = await store.BeginAsync(cancellationToken).ConfigureAwait(false);
        await CompleteAsync(done, tasks, cancellationToken).ConfigureAwait(false);
        await done.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static async Task CompleteAsync(ITaskTransaction tx, IReadOnlyList<ClaimedTask> tasks, CancellationToken cancellationToken)
    {
        await tx.CompleteAsync(tasks[0].Shard, tasks.Select(t => t.Id).ToArray(), tasks[0].LeaseToken, cancellationToken).ConfigureAwait(false);

        // Parents in a fixed order, so two batches finishing children of the same parents cannot deadlock.
        var parents = tasks
            .Where(t => t.ParentId is not null && t.ParentShard is not null)
            .GroupBy(t => (Shard: t.ParentShard!.Value, Id: t.ParentId!.Value))
            .OrderBy(g => g.Key.Shard)
            .ThenBy(g => g.Key.Id);
        foreach (var parent in parents)
        {
            await tx.ChildrenDoneAsync(parent.Key.Shard, parent.Key.Id, parent.Count(), cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Trims the Redis journal through a page the ledger already holds (the trim child exists only once that page committed).</summary>
public sealed class TrimRunner(ITaskStore store, IJournal journal)
{
    public async Task RunAsync(ClaimedTask task, CancellationToken cancellationToken)
    {
        var payload = TrimPayload.Parse(task.Payload);
        await journal.TrimAsync(payload.Partition, payload.ThroughId, cancellationToken).ConfigureAwait(false);
        await using var tx = await store.BeginAsync(cancellationToken).ConfigureAwait(false);
        await ApplyRunner.CompleteAsync(tx, [task], cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
