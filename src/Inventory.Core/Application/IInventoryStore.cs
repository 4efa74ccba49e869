using Inventory.Domain;

namespace Inventory.Application;

/// <summary>The stock authority: checks and changes stock atomically and remembers every decision by id.</summary>
public interface IInventoryStore : IHealthContributor
{
    Task<DeductionOutcome> DeductAsync(Order order, CancellationToken cancellationToken = default);

    /// <summary>Deducts many orders at once; results in the order given. Ids must be distinct.</summary>
    Task<IReadOnlyList<DeductionOutcome>> DeductManyAsync(IReadOnlyList<Order> orders, CancellationToken cancellationToken = default);

    /// <summary>The original answer if this exact order was already decided, otherwise null. Reads only.</summary>
    Task<DeductionOutcome?> FindReplayAsync(Order order, CancellationToken cancellationToken = default);

    Task<OrderView?> GetOrderAsync(string orderId, CancellationToken cancellationToken = default);

    Task<CancelOutcome> CancelAsync(string orderId, CancellationToken cancellationToken = default);

    /// <summary>Restocks part of a deducted order, once per (order id, return id), never more than is left to return.</summary>
    Task<ReturnOutcome> ReturnAsync(ReturnRequest request, CancellationToken cancellationToken = default);

    /// <summary>Takes units out of stock for a while, idempotent by reservation id; they come back by themselves at expiresAt.</summary>
    Task<HoldOutcome> HoldAsync(HoldRequest request, CancellationToken cancellationToken = default);

    /// <summary>The held units become the order's deduction, without a second stock check; exclusive with release and expiry.</summary>
    Task<HoldSettleOutcome> CommitHoldAsync(string reservationId, string orderId, CancellationToken cancellationToken = default);

    /// <summary>The held units are sellable again, exactly once.</summary>
    Task<HoldSettleOutcome> ReleaseHoldAsync(string reservationId, CancellationToken cancellationToken = default);

    Task<HoldView?> GetHoldAsync(string reservationId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back the units of every reservation past its expiresAt, once each, and rolls forward commits and
    /// releases a process left midway. Called every second by a timer (Functions) or a loop (plain server). Returns how many.
    /// </summary>
    Task<int> ExpireHoldsAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StockLevel?>> GetStockAsync(IReadOnlyList<string> skus, CancellationToken cancellationToken = default);

    /// <param name="limitPerCustomer">The SKU's per-customer limit from now on; null removes it.</param>
    Task<StockChange> SetStockAsync(string sku, long available, long? expectedAvailable, long? limitPerCustomer = null, CancellationToken cancellationToken = default);

    Task<StockChange> AdjustAsync(string sku, string adjustmentId, long delta, string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Rolls back multi-partition orders whose process died midway (aborts and voids them) and finishes returns
    /// left half-done (restocking is idempotent, so they roll forward). Returns how many.
    /// </summary>
    Task<int> RecoverAbandonedOrdersAsync(CancellationToken cancellationToken = default);
}

/// <param name="Critical">Overrides the contributor's <see cref="IHealthContributor.Critical"/> for this report: a
/// dependency may be degraded (false) or down (true) depending on what it found.</param>
/// <param name="Data">Structured detail for operators (memory per node, rebuild progress); serialized as is.</param>
public sealed record DependencyHealth(string Name, bool Healthy, string Detail, bool? Critical = null, object? Data = null);
