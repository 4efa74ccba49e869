namespace Inventory.Persistence;

/// <summary>
/// Sends stock-changed events on queue <c>inventory-events</c>. Delivery is at least once: a batch may be sent
/// again after a crash, so consumers dedupe by (Sku, Sequence) and ignore sequences older than one they applied.
/// </summary>
public interface IStockEventPublisher
{
    Task PublishAsync(IReadOnlyList<StockSnapshot> snapshots, CancellationToken cancellationToken = default);
}

/// <summary>Sends <see cref="WakeupMessage"/>s on queue <c>inventory-tasks</c>.</summary>
public interface IWakeupQueue
{
    Task SendAsync(WakeupMessage message, CancellationToken cancellationToken = default);
}
