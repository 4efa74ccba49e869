using Inventory.Domain;

namespace Inventory.Api.Http;

public sealed record DeductedLine(string Sku, long Quantity, long Remaining);

public sealed record ShortLineBody(string Sku, long Requested, long Available);

public sealed record DeductionBody(string OrderId, string Status, IReadOnlyList<DeductedLine> Lines);

/// <summary>
/// An answer without lines: "cancelled" (409, the id was cancelled first) or "unknown" (503, retry with the same
/// id). Its own type, so the body has no "lines" member at all rather than "lines": null.
/// </summary>
public sealed record OutcomeBody(string OrderId, string Status);

public sealed record InsufficientBody(string OrderId, string Status, IReadOnlyList<ShortLineBody> Lines);

/// <param name="AlreadyTaken">The customer's units of the SKU so far (deducted and held, less cancelled and returned).</param>
public sealed record LimitLineBody(string Sku, long Limit, long AlreadyTaken, long Requested);

/// <summary>409 limit_exceeded: the lines that would take the customer past their SKU's limitPerCustomer; nothing was deducted.</summary>
public sealed record LimitExceededBody(string OrderId, string Status, IReadOnlyList<LimitLineBody> Lines);

public sealed record ReturnBody(string OrderId, string ReturnId, IReadOnlyList<DeductedLine> Lines);

public sealed record ExceedingLineBody(string Sku, long Requested, long Returnable);

public sealed record ExceedsBody(string OrderId, string ReturnId, string Status, IReadOnlyList<ExceedingLineBody> Lines);

/// <param name="Status">"cancelled" (the order was cancelled; its cancel restocked what was not returned) or "unknown" (retry with the same return id).</param>
public sealed record ReturnStatusBody(string OrderId, string ReturnId, string Status);

public sealed record OrderLineBody(string Sku, long Quantity);

/// <param name="Persisted">True when SQL's ledger holds the order; null when SQL did not answer in time (the rest
/// came from Redis, which stays the authority on the order's state).</param>
public sealed record OrderBody(string OrderId, string Status, IReadOnlyList<OrderLineBody> Lines, bool? Persisted);

/// <param name="LimitPerCustomer">Units one customer may take of the SKU in all; absent when there is no limit.</param>
public sealed record StockBody(
    string Sku,
    long Available,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? LimitPerCustomer = null);

/// <param name="Reserved">Units held by reservations now; they are already out of <paramref name="Available"/>.</param>
/// <param name="LimitPerCustomer">Units one customer may take of the SKU in all; absent when there is no limit.</param>
public sealed record StockLevelBody(
    string Sku,
    long Available,
    long Reserved,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? LimitPerCustomer = null);

/// <param name="ExpiresAt">When the units come back by themselves unless committed (RFC 3339, UTC).</param>
/// <param name="Lines">Each line with what is still sellable of its SKU right after the hold.</param>
public sealed record HoldBody(string ReservationId, string Status, DateTime ExpiresAt, IReadOnlyList<DeductedLine> Lines);

public sealed record HoldInsufficientBody(string ReservationId, string Status, IReadOnlyList<ShortLineBody> Lines);

public sealed record HoldLimitExceededBody(string ReservationId, string Status, IReadOnlyList<LimitLineBody> Lines);

/// <param name="Status">409: expired, released, committed or conflict; 503: unknown (retry, it is idempotent).</param>
public sealed record HoldStatusBody(string ReservationId, string Status);

/// <param name="Lines">Each released line with the SKU's stock right after.</param>
public sealed record ReleaseBody(string ReservationId, string Status, IReadOnlyList<DeductedLine> Lines);

/// <param name="Status">held, committed, released or expired.</param>
/// <param name="OrderId">The order the units became, once committed.</param>
public sealed record ReservationBody(
    string ReservationId, string Status, DateTime ExpiresAt, IReadOnlyList<OrderLineBody> Lines,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? OrderId);

public sealed record StockListBody(IReadOnlyList<StockBody> Items, IReadOnlyList<string> Unknown);

/// <param name="Next">The sequence to pass as <c>after</c> for the next page; null on the last page.</param>
public sealed record HistoryBody(string Sku, IReadOnlyList<HistoryItemBody> Items, long? Next);

/// <param name="Id">The order, return, reservation or adjustment id behind the change (empty for a stock set).</param>
/// <param name="At">When Redis accepted the change (RFC 3339, UTC).</param>
public sealed record HistoryItemBody(long Seq, string Kind, string Id, long Delta, long AvailableAfter, DateTime At);

public sealed record AdjustmentBody(string Sku, string AdjustmentId, long Available);

public sealed record BatchItemBody(int Status, bool Replayed, object Body);

public sealed record BatchBody(IReadOnlyList<BatchItemBody> Results);

public sealed record HealthBody(string Status, IReadOnlyList<DependencyBody> Dependencies);

public sealed record DependencyBody(string Name, bool Healthy, string Detail, object? Data = null);

public sealed record DeadTasksBody(IReadOnlyList<Inventory.Persistence.TaskRecord> Tasks);

public sealed record RetriedTaskBody(long Id, string Status);

public sealed record RedriveBody(int Moved);

public sealed record ReconciliationBody(
    DateTimeOffset StartedAt, DateTimeOffset FinishedAt, int SkusChecked, int SkusNotCaughtUp, long DriftUnits,
    IReadOnlyList<Inventory.Reconciliation.Drift> Drifted);

internal static class BodyMapping
{
    public static IReadOnlyList<DeductedLine> Lines(IEnumerable<LineResult> lines) =>
        lines.Select(l => new DeductedLine(l.Sku, l.Quantity, l.Remaining)).ToList();
}
