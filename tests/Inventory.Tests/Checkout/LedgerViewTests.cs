using Inventory.Domain;
using Inventory.Persistence;

namespace Inventory.Tests.Checkout;

/// <summary>The ledger's reading of returns and history rows, without servers.</summary>
public sealed class LedgerViewTests
{
    [Fact]
    public void A_returned_order_stays_deducted_and_a_cancel_after_returns_restocked_only_the_rest()
    {
        var returned = OrderLedgerView.From("o", [Line("a", ChangeKinds.Return, deducted: 4, returned: 3), Line("b", ChangeKinds.Deduct, deducted: 2)])!;
        var cancelled = OrderLedgerView.From("o", [Line("a", ChangeKinds.Cancel, deducted: 4, returned: 3), Line("b", ChangeKinds.Cancel, deducted: 2)])!;
        var fullyReturnedThenCancelled = OrderLedgerView.From("o", [Line("a", ChangeKinds.Cancel, deducted: 4, returned: 4)])!;

        Assert.Equal(OrderState.Deducted, returned.State);
        Assert.Equal([new OrderLine("a", 3)], returned.Returned!);
        Assert.True(OrderLedgerView.Holds(returned with { Lines = [new OrderLine("a", 4), new OrderLine("b", 2)] }, [Line("a", ChangeKinds.Return, 4, 3), Line("b", ChangeKinds.Deduct, 2)]));
        Assert.Equal(OrderState.Cancelled, cancelled.State);
        Assert.Equal([1L, 2L], cancelled.Restocked!.Select(l => l.Quantity));
        Assert.Equal(OrderState.Cancelled, fullyReturnedThenCancelled.State);
        Assert.Equal(0, fullyReturnedThenCancelled.Restocked![0].Quantity);
    }

    [Fact]
    public void Returns_are_grouped_by_the_return_id_their_reason_starts_with()
    {
        var rows = new[]
        {
            Row("a", 2, ChangeKinds.Deduct, "o", -4, null),
            Row("a", 3, ChangeKinds.Return, "o", 1, "r1 damaged"),
            Row("b", 7, ChangeKinds.Return, "o", 2, "r1"),
            Row("a", 4, ChangeKinds.Return, "o", 2, "r2 (renumbered from 3)"),
        };

        var returns = OrderLedgerView.ReturnsOf(rows);

        Assert.Equal(["r1", "r2"], returns.Select(r => r.ReturnId));
        Assert.Equal([("a", 1L), ("b", 2L)], returns[0].Lines.Select(l => (l.Sku, l.Quantity)));
        Assert.Equal(("return", "r2"), (SkuHistory.Describe(rows[3]).Kind, SkuHistory.Describe(rows[3]).Id));
        Assert.Equal(("reconcile", "reconcile:9"), (SkuHistory.Describe(Row("a", 5, ChangeKinds.Adjust, "reconcile:9", 1, "reconcile")).Kind, "reconcile:9"));
        Assert.Equal(DateTimeKind.Utc, SkuHistory.Describe(rows[0]).At.Kind);
    }

    private static OrderLedgerLine Line(string sku, string kind, long deducted, long returned = 0) =>
        new() { Sku = sku, LastKind = kind, LastSeq = 9, LastAfter = 10, Deducted = deducted, DeductedAfter = 5, Returned = returned };

    private static LedgerRow Row(string sku, long seq, string kind, string reference, long delta, string? reason) =>
        new() { Sku = sku, Seq = seq, Kind = kind, ReferenceId = reference, Delta = delta, Reason = reason, AvailableAfter = 10, JournalAt = new DateTime(2025, 1, 1) };
}
