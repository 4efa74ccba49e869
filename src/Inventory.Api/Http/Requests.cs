namespace Inventory.Api.Http;

// Request shapes for the API description. Bodies are parsed by RequestParser, field by field, so every problem
// names its field; these records only document what the parser accepts.

public sealed record DeductionLineRequest(string Sku, long Quantity);

/// <param name="CustomerId">Optional: the customer whose per-customer limits apply (part of the order's identity).</param>
public sealed record DeductionRequestBody(string OrderId, IReadOnlyList<DeductionLineRequest> Lines, string? CustomerId = null);

public sealed record DeductionBatchRequestBody(IReadOnlyList<DeductionRequestBody> Deductions);

/// <param name="LimitPerCustomer">Units one customer may take in all (at least 1); absent or null: no limit (a set replaces it).</param>
public sealed record SetStockRequestBody(long Available, long? ExpectedAvailable, long? LimitPerCustomer = null);

public sealed record AdjustmentRequestBody(string AdjustmentId, long Delta, string? Reason);

public sealed record ReturnRequestBody(string ReturnId, IReadOnlyList<DeductionLineRequest> Lines, string? Reason);

public sealed record HoldRequestBody(string ReservationId, IReadOnlyList<DeductionLineRequest> Lines, int? TtlSeconds, string? CustomerId);

public sealed record CommitHoldRequestBody(string OrderId);
