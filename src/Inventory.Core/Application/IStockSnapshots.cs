namespace Inventory.Application;

/// <summary>A SKU at one point of its history: its stock right after change number <see cref="Sequence"/>.</summary>
public sealed record SkuPoint(string Sku, long Available, long Sequence);

/// <summary>What the reconciler needs from Redis: consistent snapshots and a repair applied once per drift.</summary>
public interface IStockSnapshots
{
    Task<IReadOnlyList<SkuPoint>> SnapshotAsync(int partition, CancellationToken cancellationToken = default);

    /// <summary>Moves the SKU's stock by <paramref name="delta"/> (never below zero), journaled, at most once per (SKU, drift sequence). Returns the stock after.</summary>
    Task<long> RepairAsync(string sku, long driftSequence, long delta, long sqlLastSequence, CancellationToken cancellationToken = default);
}
