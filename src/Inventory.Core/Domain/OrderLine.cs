namespace Inventory.Domain;

public sealed record OrderLine(string Sku, long Quantity);

/// <param name="CustomerId">Whose per-customer limits apply (null: none, and nothing is counted).</param>
public sealed record DeductionRequest(string OrderId, IReadOnlyList<OrderLine> Lines, string? CustomerId = null);
