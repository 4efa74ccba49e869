using Inventory.Application;
using Inventory.Domain;
using Inventory.Persistence;

namespace Inventory.Api.Hosting;

/// <summary>
/// What SQL holds of an order, from the ledger: "persisted" means every line's deduction is there, and for a
/// cancelled order its restock too. It also answers for orders Redis has forgotten (idempotency TTL passed).
/// Per SKU the latest row by sequence decides (<see cref="OrderLedgerView"/>).
/// </summary>
public sealed class SqlOrderLedger(ILedgerReader ledger) : IOrderLedger
{
    public async Task<bool> IsPersistedAsync(OrderView order, CancellationToken cancellationToken = default) =>
        OrderLedgerView.Holds(order, await ledger.GetOrderLinesAsync(order.OrderId, cancellationToken).ConfigureAwait(false));

    public async Task<OrderView?> FindAsync(string orderId, CancellationToken cancellationToken = default)
    {
        var view = OrderLedgerView.From(orderId, await ledger.GetOrderLinesAsync(orderId, cancellationToken).ConfigureAwait(false));
        if (view?.Returned is null)
        {
            return view;
        }

        // The order's returns one by one, so Redis can answer a retried return id as the replay it is.
        var rows = await ledger.FindByReferenceAsync(orderId, cancellationToken).ConfigureAwait(false);
        return view with { Returns = OrderLedgerView.ReturnsOf(rows) };
    }
}
