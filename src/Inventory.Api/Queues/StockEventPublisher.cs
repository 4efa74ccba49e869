using System.Text.Json;
using Inventory.Persistence;

namespace Inventory.Api.Queues;

/// <summary>Stock-changed events for downstream systems on inventory-events: one message per applied batch.</summary>
public sealed class StockEventPublisher(StorageQueues queues) : IStockEventPublisher
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private volatile bool _created;

    public async Task PublishAsync(IReadOnlyList<StockSnapshot> snapshots, CancellationToken cancellationToken = default)
    {
        if (snapshots.Count == 0)
        {
            return;
        }

        var queue = queues.Get(QueueNames.Events);
        if (!_created)
        {
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _created = true;
        }

        // A queue message holds 64 KiB; chunks of 500 snapshots stay well below it.
        foreach (var chunk in snapshots.Chunk(500))
        {
            await queue.SendMessageAsync(JsonSerializer.Serialize(new { changes = chunk }, Json), cancellationToken).ConfigureAwait(false);
        }
    }
}
