using Inventory.Api.Queues;
using Inventory.Engine;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Queues;

/// <summary>Persists the journal range a wake-up names; a thrown exception lets the host retry, then poison it.</summary>
public sealed class ProcessWakeup(WakeupHandler handler)
{
    [Function(nameof(ProcessWakeup))]
    public Task Run([QueueTrigger(QueueNames.Tasks, Connection = "AzureWebJobsStorage")] string message, CancellationToken cancellationToken) =>
        handler.HandleAsync(message, cancellationToken);
}
