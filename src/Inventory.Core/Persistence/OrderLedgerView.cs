using Inventory.Domain;

namespace Inventory.Persistence;

/// <summary>
/// Where an order stands by the ledger alone. Per SKU the latest row by sequence decides: a deduction stands, a
/// cancel restocked it, a void undid an attempt that must not stand (so a later deduction under the same id stands
/// again). The order is deducted while any SKU's latest row is a deduction, cancelled once every SKU it deducted
/// ends in a cancel, and not an order at all if every attempt was voided.
/// </summary>
public static class OrderLedgerView
{
    public static OrderView? From(string orderId, IEnumerable<OrderLedgerLine> lines)
    {
        // A SKU whose latest row is a cancel or deduction carries the quantity of its latest deduction; a cancel
        // with no deduction before it restocked nothing and is no line.
        var standing = lines
            .Where(l => l.LastKind is ChangeKinds.Deduct or ChangeKinds.Cancel or ChangeKinds.Return && l.Deducted is > 0)
            .OrderBy(l => l.Sku, StringComparer.Ordinal)
            .ToList();
        if (standing.Count == 0)
        {
            return null;
        }

        // A cancel that reached SQL in some partitions but not yet in others leaves the order deducted until it has.
        // A return leaves the order deducted (the rest may still be returned or cancelled); a cancel after returns
        // restocked only what they left.
        var state = standing.Any(l => l.LastKind is ChangeKinds.Deduct or ChangeKinds.Return) ? OrderState.Deducted : OrderState.Cancelled;
        var returned = standing.Where(l => l.Returned > 0).Select(l => new OrderLine(l.Sku, l.Returned)).ToList();
        return new OrderView(orderId, state, standing.Select(l => new OrderLine(l.Sku, l.Deducted!.Value)).ToList(), true,
            standing.Select(l => new LineResult(l.Sku, l.Deducted!.Value, l.DeductedAfter ?? 0)).ToList(),
            state == OrderState.Cancelled ? standing.Select(l => new LineResult(l.Sku, l.Deducted!.Value - l.Returned, l.LastAfter)).ToList() : null,
            returned.Count > 0 ? returned : null,
            Outstanding: standing.Where(l => l.LastKind != ChangeKinds.Cancel && l.Deducted!.Value > l.Returned)
                .Select(l => new OrderLine(l.Sku, l.Deducted!.Value - l.Returned)).ToList(),
            CustomerId: standing.Select(l => l.CustomerId).FirstOrDefault(c => c is not null));
    }

    /// <summary>An order's returns from its ledger rows, by return id (the first word of a return row's reason).</summary>
    public static IReadOnlyList<ReturnView> ReturnsOf(IEnumerable<LedgerRow> rows) =>
        rows.Where(r => r.Kind == ChangeKinds.Return && SkuHistory.ReturnIdOf(r.Reason) is not null)
            .GroupBy(r => SkuHistory.ReturnIdOf(r.Reason)!, StringComparer.Ordinal)
            .Select(g => new ReturnView(g.Key, g.OrderBy(r => r.Sku, StringComparer.Ordinal).Select(r => new LineResult(r.Sku, r.Delta, r.AvailableAfter)).ToList()))
            .ToList();

    /// <summary>Whether SQL holds the order as Redis reports it: each line's latest row is its deduction (or already its cancel), or, cancelled, its cancel.</summary>
    public static bool Holds(OrderView order, IEnumerable<OrderLedgerLine> lines)
    {
        var bySku = lines.ToDictionary(l => l.Sku, StringComparer.Ordinal);
        bool All(params string[] kinds) => order.Lines.All(l => bySku.TryGetValue(l.Sku, out var row) && kinds.Contains(row.LastKind));
        return order.State switch
        {
            OrderState.Deducted => All(ChangeKinds.Deduct, ChangeKinds.Cancel, ChangeKinds.Return),
            OrderState.Cancelled => All(ChangeKinds.Cancel),
            _ => false,
        };
    }
}
