using Inventory.Persistence;
using Inventory.Telemetry;

namespace Inventory.Engine;

/// <summary>
/// Executes one claimed batch (one shard, one lease token) by kind, keeping the leases alive meanwhile. A failure
/// gives the failed tasks back with backoff, or kills them when out of attempts; a lost lease changes nothing,
/// because every write of the lost work was fenced and rolled back.
/// </summary>
public sealed class TaskExecutor(
    ITaskStore store,
    PersistRunner persist,
    ApplyRunner apply,
    TrimRunner trim,
    RetryPolicy retry,
    TaskEngineOptions options)
{
    private const int MaxErrorLength = 2000;

    public async Task<EngineReport> ExecuteAsync(IReadOnlyList<ClaimedTask> batch, CancellationToken cancellationToken)
    {
        var report = new EngineReport();
        if (batch.Count == 0)
        {
            return report;
        }

        report.AddClaimed(batch.Count);
        await using var keeper = LeaseKeeper.Start(store, batch, options.Lease, cancellationToken);

        var applies = batch.Where(t => t.Kind == TaskKinds.Apply).ToList();
        if (applies.Count > 0)
        {
            await GuardAsync(applies, ct => apply.RunAsync(applies, ct), keeper, report, cancellationToken).ConfigureAwait(false);
        }

        foreach (var task in batch.Where(t => t.Kind != TaskKinds.Apply))
        {
            Func<CancellationToken, Task> work = task.Kind switch
            {
                TaskKinds.Trim => ct => trim.RunAsync(task, ct),
                TaskKinds.Persist => async ct => report.Touch(await persist.RunAsync(task, ct).ConfigureAwait(false)),
                _ => _ => throw new InvalidOperationException($"Unknown task kind '{task.Kind}' (task {task.Id}); no worker of this version can run it."),
            };
            await GuardAsync([task], work, keeper, report, cancellationToken).ConfigureAwait(false);
        }

        return report;
    }

    private async Task GuardAsync(
        IReadOnlyList<ClaimedTask> tasks,
        Func<CancellationToken, Task> work,
        LeaseKeeper keeper,
        EngineReport report,
        CancellationToken cancellationToken)
    {
        var ids = tasks.Select(t => t.Id).ToArray();
        try
        {
            await work(keeper.Token).ConfigureAwait(false);
            report.AddCompleted(tasks.Count);
        }
        catch (LeaseLostException)
        {
            report.AddLeaseLost(tasks.Count);
        }
        catch (OperationCanceledException) when (keeper.Lost)
        {
            report.AddLeaseLost(tasks.Count);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping: the leases run out and the stale-lease sweep hands the tasks to another worker.
            throw;
        }
        catch (Exception e)
        {
            var error = Describe(e);
            report.AddFailed(tasks.Count, $"{tasks[0].Kind} task(s) {string.Join(',', ids)}: {error}");
            try
            {
                var delay = retry.DelayFor(tasks.Max(t => t.Attempts));
                if (await store.FailAsync(tasks[0].Shard, ids, tasks[0].LeaseToken, delay, error, CancellationToken.None).ConfigureAwait(false) > 0)
                {
                    RecordFailures(tasks, error, report);
                }
            }
            catch (Exception failError)
            {
                // Usually the database itself is away; the lease expires and the stale-lease sweep retries the tasks.
                report.AddError($"could not record the failure of task(s) {string.Join(',', ids)}: {Describe(failError)}");
            }
        }
        finally
        {
            keeper.Release(ids);
        }
    }

    /// <summary>task_fail's own rule: dead once attempts reach max_attempts, otherwise pending after the backoff.</summary>
    private static void RecordFailures(IReadOnlyList<ClaimedTask> tasks, string error, EngineReport report)
    {
        var dead = 0;
        foreach (var task in tasks)
        {
            var isDead = task.Attempts >= task.MaxAttempts;
            dead += isDead ? 1 : 0;
            InventoryTelemetry.TaskFailed(task, isDead, error);
        }

        report.AddFailureRecorded(tasks.Count - dead, dead);
    }

    private static string Describe(Exception e)
    {
        var text = $"{e.GetType().Name}: {e.Message}";
        return text.Length <= MaxErrorLength ? text : text[..MaxErrorLength];
    }
}
