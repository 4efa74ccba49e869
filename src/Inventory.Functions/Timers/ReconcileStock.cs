using Inventory.Reconciliation;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Timers;

public sealed class ReconcileStock(Reconciler reconciler)
{
    [Function(nameof(ReconcileStock))]
    public Task Run([TimerTrigger("%ReconcileSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        reconciler.RunAsync(cancellationToken);
}
