namespace Inventory.Api.Http;

// Request shapes for the API description. Bodies are parsed by RequestParser, field by field, so every problem
// names its field; these records only document what the parser accepts.

public sealed record DeductionLineRequest(string Sku, long Quantity);

public sealed record DeductionRequestBody(string OrderId, IReadOnlyList<DeductionLineRequest> Lines);

public sealed record DeductionBatchRequestBody(IReadOnlyList<DeductionRequestBody> Deductions);

public sealed record SetStockRequestBody(long Available, long? ExpectedAvailable);

public sealed record AdjustmentRequestBody(string AdjustmentId, long Delta, string? Reason);

public sealed record ReturnRequestBody(string ReturnId, IReadOnlyList<DeductionLineRequest> Lines, string? Reason);

public sealed record HoldRequestBody(string ReservationId, IReadOnlyList<DeductionLineRequest> Lines, int? TtlSeconds, string? CustomerId);

public sealed record CommitHoldRequestBody(string OrderId);
