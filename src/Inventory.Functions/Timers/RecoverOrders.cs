using Inventory.Application;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Timers;

public sealed class RecoverOrders(IInventoryStore store)
{
    [Function(nameof(RecoverOrders))]
    public Task Run([TimerTrigger("%OrderRecoverySchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        store.RecoverAbandonedOrdersAsync(cancellationToken);
}
