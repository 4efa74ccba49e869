using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

public enum RouteAccess
{
    Anonymous,
    /// <summary>The function key (or the admin key); AuthorizationLevel.Function in Azure Functions.</summary>
    Function,
    /// <summary>The admin key only; AuthorizationLevel.Admin in Azure Functions.</summary>
    Admin,
}

public sealed record RouteSpec(string Name, string Method, string Template, RouteAccess Access, Func<InventoryHandlers, HttpRequest, Task<IResult>> Invoke);

/// <summary>
/// The HTTP surface, listed once. The plain server maps exactly these; a test checks that the Functions app's
/// generated functions.metadata declares the same names, methods, routes and authorization levels.
/// </summary>
public static class InventoryRoutes
{
    public const string Prefix = "api";

    public static readonly IReadOnlyList<RouteSpec> All =
    [
        new("Deduct", "POST", "deductions", RouteAccess.Function, (h, r) => h.DeductAsync(r)),
        new("DeductBatch", "POST", "deductions/batch", RouteAccess.Function, (h, r) => h.DeductBatchAsync(r)),
        new("GetDeduction", "GET", "deductions/{orderId}", RouteAccess.Function, (h, r) => h.GetDeductionAsync(r, Value(r, "orderId"))),
        new("CancelDeduction", "POST", "deductions/{orderId}/cancel", RouteAccess.Function, (h, r) => h.CancelAsync(r, Value(r, "orderId"))),
        new("GetStock", "GET", "stock/{sku}", RouteAccess.Function, (h, r) => h.GetStockAsync(r, Value(r, "sku"))),
        new("ListStock", "GET", "stock", RouteAccess.Function, (h, r) => h.ListStockAsync(r)),
        new("SetStock", "PUT", "stock/{sku}", RouteAccess.Admin, (h, r) => h.SetStockAsync(r, Value(r, "sku"))),
        new("AdjustStock", "POST", "stock/{sku}/adjustments", RouteAccess.Admin, (h, r) => h.AdjustAsync(r, Value(r, "sku"))),
        new("Health", "GET", "health", RouteAccess.Anonymous, (h, r) => h.HealthAsync(r)),
    ];

    private static string Value(HttpRequest request, string name) => request.RouteValues[name]?.ToString() ?? "";
}
