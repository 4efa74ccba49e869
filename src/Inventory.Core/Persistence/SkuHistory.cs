namespace Inventory.Persistence;

/// <summary>One change of a SKU as GET /api/stock/{sku}/history shows it.</summary>
public sealed record SkuHistoryItem(long Seq, string Kind, string Id, long Delta, long AvailableAfter, DateTime At);

/// <summary>Turns ledger rows into history items: the kind a reader expects and the id that caused the change.</summary>
public static class SkuHistory
{
    public const string Reconcile = "reconcile";

    /// <summary>The reconciler's repairs are adjustments in the journal under this id prefix (reconcile.lua).</summary>
    private const string ReconcilePrefix = "reconcile:";

    public static SkuHistoryItem Describe(LedgerRow row)
    {
        var (kind, id) = row.Kind switch
        {
            ChangeKinds.Adjust when row.ReferenceId.StartsWith(ReconcilePrefix, StringComparison.Ordinal) => (Reconcile, row.ReferenceId),
            // A return's journal entry carries the order id (so the order's ledger view finds it) and the return id
            // as the first word of its reason; the history names the return.
            ChangeKinds.Return => (row.Kind, ReturnIdOf(row.Reason) ?? row.ReferenceId),
            _ => (row.Kind, row.ReferenceId),
        };
        return new SkuHistoryItem(row.Seq, kind, id, row.Delta, row.AvailableAfter, DateTime.SpecifyKind(row.JournalAt, DateTimeKind.Utc));
    }

    /// <summary>The return id a return entry's reason starts with (ids never contain spaces).</summary>
    public static string? ReturnIdOf(string? reason)
    {
        if (string.IsNullOrEmpty(reason))
        {
            return null;
        }

        var space = reason.IndexOf(' ');
        return space < 0 ? reason : reason[..space];
    }
}
