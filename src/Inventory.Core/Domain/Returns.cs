namespace Inventory.Domain;

/// <summary>Part of a deducted order to restock, idempotent by (order id, return id).</summary>
public sealed record ReturnRequest(string OrderId, string ReturnId, IReadOnlyList<OrderLine> Lines, string Reason);

public enum ReturnStatus
{
    Returned,
    /// <summary>More than was deducted minus what earlier returns took back; nothing restocked.</summary>
    Exceeds,
    /// <summary>The order was cancelled (before this return, or while it ran): the cancel restocked what it left.</summary>
    Cancelled,
    NotFound,
    /// <summary>The return id was used for this order with other lines.</summary>
    Conflict,
    /// <summary>Redis did not answer, or the return is reserved but not yet restocked everywhere: safe to retry with the same id.</summary>
    Unknown,
    /// <summary>The order's home partition is being rebuilt, Redis refused outright (OOM, READONLY, ...), or SQL did not
    /// answer for a forgotten id: nothing changed (the outcome's Cause says which).</summary>
    Unavailable,
}

public sealed record ExceedingLine(string Sku, long Requested, long Returnable);

public sealed record ReturnOutcome(
    string OrderId,
    string ReturnId,
    ReturnStatus Status,
    IReadOnlyList<LineResult> Lines,
    bool Replayed = false,
    IReadOnlyList<ExceedingLine>? Exceeds = null,
    string? Cause = null,
    TimeSpan? RetryAfter = null)
{
    public static ReturnOutcome Simple(ReturnRequest request, ReturnStatus status) => new(request.OrderId, request.ReturnId, status, []);

    /// <summary>Nothing was restocked, for <paramref name="cause"/> (<see cref="UnavailableCauses"/> or a Redis refusal).</summary>
    public static ReturnOutcome Unavailable(ReturnRequest request, string cause, TimeSpan retryAfter) =>
        new(request.OrderId, request.ReturnId, ReturnStatus.Unavailable, [], Cause: cause, RetryAfter: retryAfter);
}
