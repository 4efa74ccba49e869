using Inventory.Domain;

namespace Inventory.Api.Http;

public sealed record DeductedLine(string Sku, long Quantity, long Remaining);

public sealed record ShortLineBody(string Sku, long Requested, long Available);

public sealed record DeductionBody(string OrderId, string Status, IReadOnlyList<DeductedLine>? Lines = null);

public sealed record InsufficientBody(string OrderId, string Status, IReadOnlyList<ShortLineBody> Lines);

public sealed record OrderLineBody(string Sku, long Quantity);

public sealed record OrderBody(string OrderId, string Status, IReadOnlyList<OrderLineBody> Lines, bool Persisted);

public sealed record StockBody(string Sku, long Available);

public sealed record StockListBody(IReadOnlyList<StockBody> Items, IReadOnlyList<string> Unknown);

public sealed record AdjustmentBody(string Sku, string AdjustmentId, long Available);

public sealed record BatchItemBody(int Status, bool Replayed, object Body);

public sealed record BatchBody(IReadOnlyList<BatchItemBody> Results);

public sealed record HealthBody(string Status, IReadOnlyList<DependencyBody> Dependencies);

public sealed record DependencyBody(string Name, bool Healthy, string Detail, object? Data = null);

internal static class BodyMapping
{
    public static IReadOnlyList<DeductedLine> Lines(IEnumerable<LineResult> lines) =>
        lines.Select(l => new DeductedLine(l.Sku, l.Quantity, l.Remaining)).ToList();
}
