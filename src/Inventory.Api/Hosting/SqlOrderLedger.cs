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
        // Per SKU the latest row says where the order stands: a deduct stands (even after an earlier void), a
        // cancel restocked it, a void (an aborted attempt) leaves nothing.
        var standing = rows.GroupBy(r => r.Sku, StringComparer.Ordinal)
            .Select(g => g.OrderBy(r => r.Seq).ToList())
            .Where(g => g[^1].Kind is ChangeKinds.Deduct or ChangeKinds.Cancel && g.Any(r => r.Kind == ChangeKinds.Deduct))
            .Select(g =>
            {
                var deduct = g.Last(r => r.Kind == ChangeKinds.Deduct);
                var restock = g[^1].Kind == ChangeKinds.Cancel ? g[^1] : null;
                return (Deducted: new LineResult(deduct.Sku, -deduct.Delta, deduct.AvailableAfter), Restock: restock);
            })
            .ToList();
        if (standing.Count == 0)
        {
            return null;
        }

        var cancelled = standing.All(s => s.Restock is not null);
        return new OrderView(orderId, cancelled ? OrderState.Cancelled : OrderState.Deducted,
            standing.Select(s => new OrderLine(s.Deducted.Sku, s.Deducted.Quantity)).ToList(), true,
            standing.Select(s => s.Deducted).ToList(),
            cancelled ? standing.Select(s => new LineResult(s.Deducted.Sku, s.Deducted.Quantity, s.Restock!.AvailableAfter)).ToList() : null);
    }
}
