namespace Inventory.Domain;

public sealed record OrderLine(string Sku, long Quantity);

public sealed record DeductionRequest(string OrderId, IReadOnlyList<OrderLine> Lines);
