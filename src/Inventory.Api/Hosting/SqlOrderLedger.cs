using Inventory.Application;
using Inventory.Domain;
using Inventory.Persistence;

namespace Inventory.Api.Hosting;

/// <summary>
/// What SQL holds of an order, from the ledger: "persisted" means every line's deduction is there, and for a
/// cancelled order its restock too. It also answers for orders Redis has forgotten (idempotency TTL passed).
/// </summary>
public sealed class SqlOrderLedger(ILedgerReader ledger) : IOrderLedger
{
    public async Task<bool> IsPersistedAsync(OrderView order, CancellationToken cancellationToken = default)
    {
        var rows = await ledger.FindByReferenceAsync(order.OrderId, cancellationToken).ConfigureAwait(false);
        bool Has(string kind) => order.Lines.All(l => rows.Any(r => r.Sku == l.Sku && r.Kind == kind));
        return order.State switch
        {
            OrderState.Deducted => Has(ChangeKinds.Deduct),
            OrderState.Cancelled => Has(ChangeKinds.Deduct) && Has(ChangeKinds.Cancel),
            _ => false,
        };
    }

    public async Task<OrderView?> FindAsync(string orderId, CancellationToken cancellationToken = default)
    {
        var rows = await ledger.FindByReferenceAsync(orderId, cancellationToken).ConfigureAwait(false);
        // A voided attempt (conflict or failed multi-partition order) nets to nothing: it is not an order.
        var standing = rows.GroupBy(r => r.Sku, StringComparer.Ordinal)
            .Where(g => g.Any(r => r.Kind == ChangeKinds.Deduct) && !g.Any(r => r.Kind == ChangeKinds.Void))
            .Select(g => (Line: new OrderLine(g.Key, -g.Where(r => r.Kind == ChangeKinds.Deduct).Sum(r => r.Delta)), Cancelled: g.Any(r => r.Kind == ChangeKinds.Cancel)))
            .ToList();
        if (standing.Count == 0)
        {
            return null;
        }

        var state = standing.All(s => s.Cancelled) ? OrderState.Cancelled : OrderState.Deducted;
        return new OrderView(orderId, state, standing.Select(s => s.Line).ToList(), true);
    }
}
