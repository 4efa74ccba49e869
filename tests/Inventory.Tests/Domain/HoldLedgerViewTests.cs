using Inventory.Domain;
using Inventory.Persistence;

namespace Inventory.Tests.Domain;

/// <summary>How a reservation whose home Redis lost is read back from its ledger rows (ledger_reservation.sql).</summary>
public sealed class HoldLedgerViewTests
{
    private static LedgerRow Row(string kind, string reference, string sku, long delta, long seq, long after, string? reason = null) =>
        new() { Kind = kind, ReferenceId = reference, Sku = sku, Delta = delta, Seq = seq, AvailableAfter = after, Reason = reason };

    [Fact]
    public void A_committed_reservation_answers_its_order_and_the_commit_rows_stock()
    {
        var hold = HoldLedgerView.From("h1",
        [
            Row(ChangeKinds.Hold, "h1", "b", -1, 4, 9, "1700000000000 1 C9"),
            Row(ChangeKinds.Hold, "h1", "a", -2, 7, 8, "1700000000000 1 C9"),
            Row(ChangeKinds.Commit, "o1", "a", 0, 9, 6, "h1"),
            Row(ChangeKinds.Commit, "o1", "b", 0, 5, 9, "h1"),
            // the same row twice: two attempts held the SKU
            Row(ChangeKinds.Commit, "o1", "b", 0, 5, 9, "h1"),
        ])!;

        Assert.Equal((HoldState.Committed, "o1", "C9", 1700000000000L), (hold.State, hold.OrderId, hold.CustomerId, hold.ExpiresAt));
        Assert.Equal(["a 2 8", "b 1 9"], hold.Held.Select(l => $"{l.Sku} {l.Quantity} {l.Remaining}"));
        Assert.Equal(["a 2 6", "b 1 9"], hold.Ended!.Select(l => $"{l.Sku} {l.Quantity} {l.Remaining}"));
    }

    [Fact]
    public void Released_expired_still_held_and_a_commit_that_gave_up_are_told_apart()
    {
        var released = HoldLedgerView.From("h2",
        [
            // attempt 1 was refused and rolled back; attempt 2 held and was released
            Row(ChangeKinds.Hold, "h2", "c", -5, 1, 0, "1700000000000 1"),
            Row(ChangeKinds.Release, "h2", "c", 5, 2, 5),
            Row(ChangeKinds.Hold, "h2", "a", -1, 3, 9, "1700000001000 2"),
            Row(ChangeKinds.Release, "h2", "a", 1, 4, 10),
        ])!;
        Assert.Equal((HoldState.Released, 2L, null as string), (released.State, released.Attempt, released.CustomerId));
        Assert.Equal(["a 1 10"], released.Ended!.Select(l => $"{l.Sku} {l.Quantity} {l.Remaining}"));

        Assert.Equal(HoldState.Expired, HoldLedgerView.From("h3",
            [Row(ChangeKinds.Hold, "h3", "a", -1, 3, 9, "1700000000000 1"), Row(ChangeKinds.Expire, "h3", "a", 1, 8, 10)])!.State);
        Assert.Equal(HoldState.Held, HoldLedgerView.From("h4",
            [Row(ChangeKinds.Hold, "h4", "a", -1, 3, 9, "1700000000000 1"), Row(ChangeKinds.Hold, "h4", "b", -1, 3, 9, "1700000000000 1"),
             Row(ChangeKinds.Commit, "o4", "b", 0, 5, 9, "h4")])!.State);

        var gaveUp = HoldLedgerView.From("h5",
            [Row(ChangeKinds.Hold, "h5", "a", -1, 3, 9, "1700000000000 1"), Row(ChangeKinds.Hold, "h5", "b", -1, 3, 9, "1700000000000 1"),
             Row(ChangeKinds.Commit, "o5", "b", 0, 5, 9, "h5"), Row(ChangeKinds.Release, "h5", "a", 1, 6, 10)])!;
        Assert.Equal((HoldState.Committed, "o5", true), (gaveUp.State, gaveUp.OrderId, gaveUp.Ended is null));

        Assert.Null(HoldLedgerView.From("h6", [Row(ChangeKinds.Hold, "h6", "a", -1, 3, 9, null)]));
    }
}
