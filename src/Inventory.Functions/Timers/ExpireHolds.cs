using Inventory.Application;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Timers;

/// <summary>Gives back the units of reservations past expiresAt (and finishes ones a process left midway); every second by default.</summary>
public sealed class ExpireHolds(IInventoryStore store)
{
    [Function(nameof(ExpireHolds))]
    public Task Run([TimerTrigger("%HoldExpirySchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        store.ExpireHoldsAsync(cancellationToken);
}
