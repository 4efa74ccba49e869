using Inventory.Domain;
using Inventory.Persistence;

namespace Inventory.Application;

/// <summary>What SQL holds of an order: whether its deduction (and cancel) reached the ledger.</summary>
public interface IOrderLedger
{
    /// <returns>Whether SQL holds every line of the order; null when SQL did not answer (the order is read from Redis
    /// alone then, rather than failing the read).</returns>
    Task<bool?> IsPersistedAsync(OrderView order, CancellationToken cancellationToken = default);

    /// <summary>The order as SQL remembers it, for when Redis no longer does; null if SQL holds no deduction of it.</summary>
    Task<OrderView?> FindAsync(string orderId, CancellationToken cancellationToken = default);

    /// <summary>The reservation as SQL remembers it, for when Redis lost its home; null if SQL holds no hold of it.</summary>
    Task<LedgerHold?> FindHoldAsync(string reservationId, CancellationToken cancellationToken = default);
}

/// <summary>Used until a SQL ledger is configured: nothing is persisted.</summary>
public sealed class NoOrderLedger : IOrderLedger
{
    public Task<bool?> IsPersistedAsync(OrderView order, CancellationToken cancellationToken = default) => Task.FromResult<bool?>(false);

    public Task<OrderView?> FindAsync(string orderId, CancellationToken cancellationToken = default) => Task.FromResult<OrderView?>(null);

    public Task<LedgerHold?> FindHoldAsync(string reservationId, CancellationToken cancellationToken = default) => Task.FromResult<LedgerHold?>(null);
}
