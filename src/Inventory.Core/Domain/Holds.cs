namespace Inventory.Domain;

/// <summary>Units taken out of stock for a while, idempotent by reservation id (docs/holds.md).</summary>
/// <param name="CustomerId">Optional: the hold counts against the customer's per-SKU limits.</param>
public sealed record HoldRequest(string ReservationId, IReadOnlyList<OrderLine> Lines, int TtlSeconds, string? CustomerId);

public static class HoldLimits
{
    public const int MinTtlSeconds = 30;
    public const int MaxTtlSeconds = 3600;
    public const int DefaultTtlSeconds = 600;
}

public enum HoldStatus
{
    Held,
    Insufficient,
    UnknownSku,
    /// <summary>A line would take the customer past the SKU's per-customer limit; nothing held.</summary>
    LimitExceeded,
    /// <summary>The reservation id was used with other lines (or another customer).</summary>
    Conflict,
    /// <summary>Redis did not answer, or the hold is not finished everywhere: retry with the same id.</summary>
    Unknown,
    /// <summary>Refused before anything changed (journal bound, partition rebuilt, Redis refusal): retry later.</summary>
    Unavailable,
}

public sealed record LimitLine(string Sku, long Limit, long AlreadyTaken, long Requested);

public sealed record HoldOutcome(
    string ReservationId,
    HoldStatus Status,
    IReadOnlyList<LineResult> Lines,
    DateTimeOffset? ExpiresAt = null,
    bool Replayed = false,
    IReadOnlyList<ShortLine>? Short = null,
    IReadOnlyList<string>? UnknownSkus = null,
    IReadOnlyList<LimitLine>? OverLimit = null,
    string? Cause = null,
    TimeSpan? RetryAfter = null)
{
    public static HoldOutcome Simple(string reservationId, HoldStatus status) => new(reservationId, status, []);
}

/// <summary>What a commit or a release of a reservation came to.</summary>
public enum HoldSettleStatus
{
    /// <summary>Commit: the held units are the order's deduction. Release: answers 409 committed.</summary>
    Committed,
    /// <summary>Release: the units are sellable again. Commit: answers 409 released.</summary>
    Released,
    /// <summary>expiresAt passed before the commit or release: the units came (or come) back by themselves.</summary>
    Expired,
    /// <summary>Commit: the order id already stands for another deduction (or another reservation's commit).</summary>
    Conflict,
    NotFound,
    /// <summary>Redis did not answer, or the change is not finished everywhere: retry (it is idempotent).</summary>
    Unknown,
    Unavailable,
}

public sealed record HoldSettleOutcome(
    string ReservationId,
    HoldSettleStatus Status,
    IReadOnlyList<LineResult> Lines,
    string? OrderId = null,
    bool Replayed = false,
    string? Cause = null,
    TimeSpan? RetryAfter = null)
{
    public static HoldSettleOutcome Simple(string reservationId, HoldSettleStatus status, string? orderId = null) => new(reservationId, status, [], orderId);
}

public enum HoldState
{
    Held,
    Committed,
    Released,
    Expired,
}

public sealed record HoldView(string ReservationId, HoldState State, DateTimeOffset ExpiresAt, IReadOnlyList<OrderLine> Lines, string? OrderId);
