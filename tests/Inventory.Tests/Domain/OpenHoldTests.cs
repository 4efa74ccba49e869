using Inventory.Api.Hosting;
using Inventory.Persistence;

namespace Inventory.Tests.Domain;

/// <summary>How the rebuild reads a reservation still held out of its hold rows (reason "expiresAt attempt [customerId]").</summary>
public sealed class OpenHoldTests
{
    [Fact]
    public void Only_the_latest_attempt_counts_and_rows_without_an_expiry_are_skipped()
    {
        LedgerRow Hold(string id, string sku, long quantity, long seq, string? reason) =>
            new() { Kind = ChangeKinds.Hold, ReferenceId = id, Sku = sku, Delta = -quantity, Seq = seq, AvailableAfter = 100 - quantity, Reason = reason };

        var holds = RedisRecovery.OpenHoldsFromLedger(
        [
            Hold("h1", "b", 1, 7, "1700000000000 2 C9"),
            Hold("h1", "a", 2, 5, "1700000000000 2 C9"),
            // an earlier attempt's row (refused, its release not yet in SQL) is not the reservation any more
            Hold("h1", "c", 9, 3, "1699999999000 1 C9"),
            Hold("h2", "a", 1, 6, "1700000000500 1"),
            // journaled before hold rows carried their expiry: cannot be put back
            Hold("h3", "a", 1, 8, null),
        ]);

        Assert.Equal(2, holds.Count);
        var h1 = holds.Single(h => h.ReservationId == "h1");
        Assert.Equal((1700000000000L, 2L, "C9"), (h1.ExpiresAt, h1.Attempt, h1.CustomerId));
        Assert.Equal(["a 2", "b 1"], h1.Lines.Select(l => $"{l.Line.Sku} {l.Line.Quantity}"));
        Assert.Equal(98, h1.Lines[0].After);
        var h2 = holds.Single(h => h.ReservationId == "h2");
        Assert.Equal((1700000000500L, 1L, ""), (h2.ExpiresAt, h2.Attempt, h2.CustomerId));
    }

    [Fact]
    public void A_reservation_with_some_lines_converted_is_committing_to_the_commit_rows_order_and_one_with_all_converted_is_not_held()
    {
        LedgerRow Hold(string id, string sku, long quantity, long seq) =>
            new() { Kind = ChangeKinds.Hold, ReferenceId = id, Sku = sku, Delta = -quantity, Seq = seq, AvailableAfter = 100 - quantity, Reason = "1700000000000 1" };
        LedgerRow Commit(string orderId, string id, string sku, long seq) =>
            new() { Kind = ChangeKinds.Commit, ReferenceId = orderId, Sku = sku, Delta = 0, Seq = seq, AvailableAfter = 90, Reason = id };

        var holds = RedisRecovery.OpenHoldsFromLedger(
        [
            Hold("half", "a", 2, 5),
            Hold("half", "b", 3, 6),
            Commit("o-half", "half", "b", 9),
            // a commit of the SKU before the hold is another reservation's story
            Commit("o-old", "half", "a", 4),
            Hold("whole", "a", 1, 7),
            Commit("o-whole", "whole", "a", 8),
        ]);

        var half = Assert.Single(holds);
        Assert.Equal("half", half.ReservationId);
        Assert.Equal("o-half", half.OrderId);
        Assert.Equal(["a 2", "b 3"], half.Lines.Select(l => $"{l.Line.Sku} {l.Line.Quantity}"));
        Assert.True(half.IsConverted("b"));
        Assert.False(half.IsConverted("a"));
    }
}
