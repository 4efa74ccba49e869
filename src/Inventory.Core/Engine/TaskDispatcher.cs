using System.Collections.Concurrent;
using System.Diagnostics;
using Inventory.Persistence;
using Inventory.Telemetry;

namespace Inventory.Engine;

/// <summary>
/// Claims due tasks shard by shard and executes them: the dispatch timer runs every shard, a wakeup handler runs
/// the shards it just gave children to. Retries are due tasks like any other (their backoff is their next run time).
/// </summary>
public sealed class TaskDispatcher(ITaskStore store, TaskExecutor executor, TaskEngineOptions options)
{
    private int _rotation;

    /// <summary>The dispatch timer: every shard, starting at a rotating one, until nothing is due or the budget is spent.</summary>
    public Task<EngineReport> RunDueAsync(CancellationToken cancellationToken = default) =>
        InventoryTelemetry.TraceEngineRunAsync("dispatch", async () =>
        {
            await SampleBacklogAsync(cancellationToken).ConfigureAwait(false);
            var start = Interlocked.Increment(ref _rotation);
            var shards = Enumerable.Range(0, store.ShardCount).Select(i => (i + start) % store.ShardCount);
            return await DrainAsync(shards, options.DispatchBudget, cancellationToken).ConfigureAwait(false);
        });

    public async Task<EngineReport> DrainAsync(IEnumerable<int> shards, TimeSpan budget, CancellationToken cancellationToken = default)
    {
        var report = new EngineReport();
        var queue = new ConcurrentQueue<int>(shards.Distinct());
        var clock = Stopwatch.StartNew();
        var lease = new LeaseRequest(options.Owner, options.Lease);
        var workers = Enumerable.Range(0, Math.Min(options.DispatchParallelism, Math.Max(1, queue.Count))).Select(async _ =>
        {
            while (clock.Elapsed < budget && queue.TryDequeue(out var shard))
            {
                while (clock.Elapsed < budget)
                {
                    var batch = await store.ClaimAsync(shard, options.ClaimBatchSize, lease, cancellationToken).ConfigureAwait(false);
                    if (batch.Count == 0)
                    {
                        break;
                    }

                    var executed = await executor.ExecuteAsync(batch, cancellationToken).ConfigureAwait(false);
                    report.Add(executed);

                    // Persist tasks create children in other shards, possibly ones this drain has already passed.
                    foreach (var touched in executed.TouchedShards.Where(s => s != shard && !queue.Contains(s)))
                    {
                        queue.Enqueue(touched);
                    }
                }
            }
        });
        await Task.WhenAll(workers).ConfigureAwait(false);
        return report;
    }

    /// <summary>Feeds the backlog gauges from this timer, at most every few seconds and only while an exporter reads them.</summary>
    private async Task SampleBacklogAsync(CancellationToken cancellationToken)
    {
        if (!InventoryTelemetry.BacklogRefreshDue)
        {
            return;
        }

        try
        {
            InventoryTelemetry.ReportBacklog(await store.GetBacklogAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The gauges go stale and stop reporting; the dispatch below meets the same database and reports the error.
        }
    }
}
