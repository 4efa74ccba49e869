namespace Inventory.Domain;

public enum DeductionStatus
{
    Deducted,
    Insufficient,
    /// <summary>The customer's units of a SKU would exceed its limitPerCustomer; nothing was deducted.</summary>
    LimitExceeded,
    UnknownSku,
    Cancelled,
    Conflict,
    Unknown,
    Throttled,
    /// <summary>Refused before anything changed (journal bound reached, partition being rebuilt): safe to retry.</summary>
    Unavailable,
}

/// <summary>A deducted (or restocked) line and what its SKU had left right after.</summary>
public sealed record LineResult(string Sku, long Quantity, long Remaining);

public sealed record ShortLine(string Sku, long Requested, long Available);

/// <param name="AlreadyTaken">The customer's units of the SKU so far (deducted and held, less cancelled and returned).</param>
public sealed record OverLimitLine(string Sku, long Limit, long AlreadyTaken, long Requested);

public sealed record DeductionOutcome(
    string OrderId,
    DeductionStatus Status,
    IReadOnlyList<LineResult> Lines,
    bool Replayed = false,
    IReadOnlyList<ShortLine>? Short = null,
    IReadOnlyList<string>? UnknownSkus = null,
    TimeSpan? RetryAfter = null,
    string? Cause = null,
    IReadOnlyList<OverLimitLine>? OverLimit = null)
{
    public static DeductionOutcome Simple(string orderId, DeductionStatus status) => new(orderId, status, []);

    /// <summary>Nothing was deducted, for a stated reason (<see cref="UnavailableCauses"/>); retry after the given time.</summary>
    public static DeductionOutcome Unavailable(string orderId, string cause, TimeSpan retryAfter) =>
        new(orderId, DeductionStatus.Unavailable, [], RetryAfter: retryAfter, Cause: cause);
}

/// <summary>Why a request was refused with nothing changed (503): the <c>cause</c> of the problem body.</summary>
public static class UnavailableCauses
{
    /// <summary>The partition's journal is at its bound: SQL is far behind.</summary>
    public const string JournalBacklog = "journal_backlog";

    /// <summary>The partition lost its data and is being rebuilt from SQL.</summary>
    public const string Rebuilding = "partition_rebuilding";

    /// <summary>SQL had to answer for an id Redis forgot, and did not.</summary>
    public const string LedgerUnavailable = "ledger_unavailable";

    public static readonly TimeSpan RebuildRetry = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan BacklogRetry = TimeSpan.FromSeconds(10);
}

public enum OrderState
{
    Deducted,
    Cancelled,
    Pending,
}

/// <param name="Deducted">From SQL's ledger: each line with the stock right after it was deducted (the original answer).</param>
/// <param name="Outstanding">From SQL's ledger: per SKU the units still sold (deducted, less returns, not cancelled), which a cancel restocks where Redis no longer holds the record.</param>
/// <param name="CustomerId">The order's customer (part of its identity: the same id with another customer is other lines).</param>
/// <param name="Restocked">From SQL's ledger, for a cancelled order: each line with the stock right after its restock.</param>
/// <param name="Returned">From SQL's ledger: units of each SKU that returns restocked.</param>
/// <param name="Returns">From SQL's ledger: each return of the order with its lines, so a retried return id replays.</param>
public sealed record OrderView(
    string OrderId,
    OrderState State,
    IReadOnlyList<OrderLine> Lines,
    bool? Persisted,
    IReadOnlyList<LineResult>? Deducted = null,
    IReadOnlyList<LineResult>? Restocked = null,
    IReadOnlyList<OrderLine>? Returned = null,
    IReadOnlyList<ReturnView>? Returns = null,
    IReadOnlyList<OrderLine>? Outstanding = null,
    string? CustomerId = null);

/// <summary>A return as SQL's ledger holds it: its lines with the stock right after each restock.</summary>
public sealed record ReturnView(string ReturnId, IReadOnlyList<LineResult> Lines);

public enum CancelStatus
{
    Cancelled,
    NotFound,
    /// <summary>A multi-partition order still in flight: cancelling it now would race its own deduction.</summary>
    Pending,
    Unknown,
    /// <summary>Refused before anything changed (Redis refused the cancel, the partition is being rebuilt): retry later.</summary>
    Unavailable,
}

public sealed record CancelOutcome(string OrderId, CancelStatus Status, IReadOnlyList<LineResult> Lines, bool Replayed = false, string? Cause = null, TimeSpan? RetryAfter = null);

/// <param name="Reserved">Units held by reservations now (already out of <paramref name="Available"/>).</param>
/// <param name="LimitPerCustomer">Units of the SKU one customer may take in all (null: no limit).</param>
public sealed record StockLevel(string Sku, long Available, long Reserved = 0, long? LimitPerCustomer = null);

public enum StockChangeStatus
{
    Applied,
    UnknownSku,
    /// <summary>Set: expectedAvailable did not match. Adjust: the delta would take stock below zero.</summary>
    Rejected,
    /// <summary>Adjust: the adjustment id was used before with another SKU or delta.</summary>
    Conflict,
    /// <summary>The SKU's partition is being rebuilt after data loss; nothing changed, retry later.</summary>
    Unavailable,
}

public sealed record StockChange(StockChangeStatus Status, string Sku, long Available, bool Replayed = false, long? LimitPerCustomer = null);
