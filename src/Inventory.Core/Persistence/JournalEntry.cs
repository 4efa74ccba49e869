namespace Inventory.Persistence;

/// <summary>Kinds of accepted change, exactly as the Redis scripts write them into the journal.</summary>
public static class ChangeKinds
{
    public const string Deduct = "deduct";
    public const string Cancel = "cancel";
    /// <summary>Compensation of an attempt that must not stand (a failed multi-partition order, a conflicting id).</summary>
    public const string Void = "void";
    public const string Set = "set";
    public const string Adjust = "adjust";
    /// <summary>Part of a deducted order restocked; ReferenceId is the order id, Reason starts with the return id.</summary>
    public const string Return = "return";
    /// <summary>Units held by a reservation (delta minus the units); ReferenceId is the reservation id.</summary>
    public const string Hold = "hold";
    /// <summary>A reservation's held units became an order's deduction: delta 0 (they left stock when held);
    /// ReferenceId is the order id, Reason the reservation id.</summary>
    public const string Commit = "commit";
    /// <summary>A reservation's held units given back by the caller (or a refused hold rolled back); ReferenceId is the reservation id.</summary>
    public const string Release = "release";
    /// <summary>A reservation's held units given back at expiresAt by the expiry loop; ReferenceId is the reservation id.</summary>
    public const string Expire = "expire";
}

/// <summary>
/// One accepted stock change, appended by the same Redis script that made it. (Sku, Sequence) is unique:
/// the per-SKU sequence increases by one with every change of that SKU, and AvailableAfter is the stock
/// right after it, so applying the highest sequence of a batch sets SQL's stock exactly.
/// </summary>
/// <param name="Partition">The Redis partition (hash tag) whose journal holds the entry.</param>
/// <param name="StreamId">The Redis stream id, e.g. "1732550000000-0"; increasing within a partition.</param>
/// <param name="Kind">One of <see cref="ChangeKinds"/>.</param>
/// <param name="ReferenceId">The order id (deduct, cancel, void, return, commit), the reservation id (hold, release,
/// expire), the adjustment id (adjust) or empty (set).</param>
/// <param name="CustomerId">The order's or reservation's customer (deduct, cancel, void, return, hold, release, expire), whose per-customer units the change moved; null for none.</param>
/// <param name="LimitPerCustomer">A set's limitPerCustomer right after it (null: no limit; always null for other kinds).</param>
public sealed record JournalEntry(
    int Partition,
    string StreamId,
    string Kind,
    string ReferenceId,
    string Sku,
    long Delta,
    long Sequence,
    long AvailableAfter,
    long TimestampMs,
    string? Reason,
    string? CustomerId = null,
    long? LimitPerCustomer = null);

/// <summary>Reads and trims the per-partition journals in Redis.</summary>
public interface IJournal
{
    int PartitionCount { get; }

    /// <summary>Entries with stream id greater than <paramref name="afterId"/> ("0" for the start), oldest first.</summary>
    Task<IReadOnlyList<JournalEntry>> ReadAsync(int partition, string afterId, int maxCount, CancellationToken cancellationToken = default);

    /// <summary>Removes entries up to and including <paramref name="throughId"/>; SQL must hold them first.</summary>
    Task<long> TrimAsync(int partition, string throughId, CancellationToken cancellationToken = default);

    Task<long> LengthAsync(int partition, CancellationToken cancellationToken = default);
}

/// <summary>Compares Redis stream ids ("ms-seq") numerically, as Redis orders them.</summary>
public static class StreamIds
{
    public static int Compare(string a, string b)
    {
        var (am, asq) = Split(a);
        var (bm, bsq) = Split(b);
        return am != bm ? am.CompareTo(bm) : asq.CompareTo(bsq);
    }

    private static (ulong Ms, ulong Seq) Split(string id)
    {
        var dash = id.IndexOf('-');
        return dash < 0
            ? (ulong.Parse(id, System.Globalization.CultureInfo.InvariantCulture), 0)
            : (ulong.Parse(id.AsSpan(0, dash), provider: System.Globalization.CultureInfo.InvariantCulture),
               ulong.Parse(id.AsSpan(dash + 1), provider: System.Globalization.CultureInfo.InvariantCulture));
    }
}
