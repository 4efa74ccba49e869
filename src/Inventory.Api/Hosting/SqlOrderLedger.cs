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
    /// <summary>
    /// How long a read of an order Redis holds waits for SQL's "persisted": Redis has the answer the caller needs,
    /// so an absent SQL costs this much and yields "persisted": null, not a 503.
    /// </summary>
    public static readonly TimeSpan PersistedCheckTimeout = TimeSpan.FromSeconds(1);

    public async Task<bool?> IsPersistedAsync(OrderView order, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(PersistedCheckTimeout);
        try
        {
            // WaitAsync too: a connect through a hung network does not always stop on the token.
            var lines = await ledger.GetOrderLinesAsync(order.OrderId, deadline.Token).WaitAsync(PersistedCheckTimeout, cancellationToken).ConfigureAwait(false);
            return OrderLedgerView.Holds(order, lines);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested
            && e is System.Data.Common.DbException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            return null;
        }
    }

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

    public async Task<LedgerHold?> FindHoldAsync(string reservationId, CancellationToken cancellationToken = default) =>
        HoldLedgerView.From(reservationId, await ledger.GetReservationRowsAsync(reservationId, cancellationToken).ConfigureAwait(false));
}
