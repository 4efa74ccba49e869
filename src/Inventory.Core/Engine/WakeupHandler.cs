using Inventory.Persistence;
using Inventory.Telemetry;

namespace Inventory.Engine;

/// <summary>
/// The queue trigger on <c>inventory-tasks</c>. It creates the persist task for the message already leased to
/// itself (a duplicate message finds the dedupe key taken and does nothing), runs it, then runs the children it
/// created while the drain budget lasts; the dispatch timer picks up whatever is left.
/// </summary>
public sealed class WakeupHandler(
    ITaskStore store,
    IJournal journal,
    TaskSharding sharding,
    TaskExecutor executor,
    TaskDispatcher dispatcher,
    TaskEngineOptions options)
{
    /// <summary>Throws only when the task could not be created (the queue then redelivers the message).</summary>
    /// <exception cref="FormatException">The message can never be handled; let it go to the poison queue.</exception>
    public Task<EngineReport> HandleAsync(string messageText, CancellationToken cancellationToken = default) =>
        HandleAsync(WakeupMessage.Parse(messageText), cancellationToken);

    public Task<EngineReport> HandleAsync(WakeupMessage message, CancellationToken cancellationToken = default) =>
        InventoryTelemetry.TraceEngineRunAsync("wakeup", () => PersistAsync(message, cancellationToken), message.Partition);

    private async Task<EngineReport> PersistAsync(WakeupMessage message, CancellationToken cancellationToken)
    {
        if (message.Partition >= journal.PartitionCount)
        {
            throw new FormatException($"Partition {message.Partition} does not exist; the journal has {journal.PartitionCount}.");
        }

        var report = new EngineReport();
        var task = await store.InsertClaimedAsync(
            sharding.OfPartition(message.Partition),
            PersistTasks.For(message, options.MaxAttempts),
            new LeaseRequest(options.Owner, options.Lease),
            cancellationToken).ConfigureAwait(false);
        if (task is null)
        {
            report.MarkDuplicate();
            return report;
        }

        report.Add(await executor.ExecuteAsync([task], cancellationToken).ConfigureAwait(false));
        if (report.TouchedShards.Count > 0)
        {
            try
            {
                report.Add(await dispatcher.DrainAsync(report.TouchedShards, options.DrainBudget, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // The message's own work is committed; redelivering it would add nothing, the timer runs the children.
                report.AddError($"draining children failed: {e.GetType().Name}: {e.Message}");
            }
        }

        return report;
    }
}
