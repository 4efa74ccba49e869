using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Api.Http;

public enum RouteAccess
{
    Anonymous,
    /// <summary>The function key (or the admin key); AuthorizationLevel.Function in Azure Functions.</summary>
    Function,
    /// <summary>The admin key only; AuthorizationLevel.Admin in Azure Functions.</summary>
    Admin,
}

public sealed record RouteSpec(string Name, string Method, string Template, RouteAccess Access, Func<IServiceProvider, HttpRequest, Task<IResult>> Invoke);

/// <summary>
/// The HTTP surface, listed once. The plain server maps exactly these; a test checks that the Functions app's
/// generated functions.metadata declares the same names, methods, routes and authorization levels.
/// </summary>
public static class InventoryRoutes
{
    public const string Prefix = "api";

    public static readonly IReadOnlyList<RouteSpec> All =
    [
        new("Deduct", "POST", "deductions", RouteAccess.Function, (s, r) => Inventory(s).DeductAsync(r)),
        new("DeductBatch", "POST", "deductions/batch", RouteAccess.Function, (s, r) => Inventory(s).DeductBatchAsync(r)),
        new("GetDeduction", "GET", "deductions/{orderId}", RouteAccess.Function, (s, r) => Inventory(s).GetDeductionAsync(r, Value(r, "orderId"))),
        new("CancelDeduction", "POST", "deductions/{orderId}/cancel", RouteAccess.Function, (s, r) => Inventory(s).CancelAsync(r, Value(r, "orderId"))),
        new("ReturnDeduction", "POST", "deductions/{orderId}/returns", RouteAccess.Function, (s, r) => Inventory(s).ReturnAsync(r, Value(r, "orderId"))),
        new("CreateReservation", "POST", "reservations", RouteAccess.Function, (s, r) => Reservations(s).HoldAsync(r)),
        new("GetReservation", "GET", "reservations/{reservationId}", RouteAccess.Function, (s, r) => Reservations(s).GetAsync(r, Value(r, "reservationId"))),
        new("CommitReservation", "POST", "reservations/{reservationId}/commit", RouteAccess.Function, (s, r) => Reservations(s).CommitAsync(r, Value(r, "reservationId"))),
        new("ReleaseReservation", "POST", "reservations/{reservationId}/release", RouteAccess.Function, (s, r) => Reservations(s).ReleaseAsync(r, Value(r, "reservationId"))),
        new("GetStock", "GET", "stock/{sku}", RouteAccess.Function, (s, r) => Inventory(s).GetStockAsync(r, Value(r, "sku"))),
        new("ListStock", "GET", "stock", RouteAccess.Function, (s, r) => Inventory(s).ListStockAsync(r)),
        new("SetStock", "PUT", "stock/{sku}", RouteAccess.Admin, (s, r) => Inventory(s).SetStockAsync(r, Value(r, "sku"))),
        new("GetStockHistory", "GET", "stock/{sku}/history", RouteAccess.Function, (s, r) => s.GetRequiredService<HistoryHandlers>().GetHistoryAsync(r, Value(r, "sku"))),
        new("AdjustStock", "POST", "stock/{sku}/adjustments", RouteAccess.Admin, (s, r) => Inventory(s).AdjustAsync(r, Value(r, "sku"))),
        new("Health", "GET", "health", RouteAccess.Anonymous, (s, r) => Inventory(s).HealthAsync(r)),
        new("TaskStats", "GET", "tasks/stats", RouteAccess.Function, (s, r) => Engine(s).StatsAsync(r)),
        new("DeadTasks", "GET", "tasks/dead", RouteAccess.Admin, (s, r) => Engine(s).DeadAsync(r)),
        new("RetryTask", "POST", "tasks/{id}/retry", RouteAccess.Admin, (s, r) => Engine(s).RetryAsync(r, Value(r, "id"))),
        new("RedrivePoison", "POST", "tasks/poison/redrive", RouteAccess.Admin, (s, r) => Engine(s).RedrivePoisonAsync(r)),
        new("GetReconciliation", "GET", "reconciliation", RouteAccess.Function, (s, r) => Reconciliation(s).LastAsync(r)),
        new("RunReconciliation", "POST", "reconciliation/run", RouteAccess.Admin, (s, r) => Reconciliation(s).RunAsync(r)),
    ];

    private static ReconciliationHandlers Reconciliation(IServiceProvider services) => services.GetRequiredService<ReconciliationHandlers>();

    private static ReservationHandlers Reservations(IServiceProvider services) => services.GetRequiredService<ReservationHandlers>();

    private static InventoryHandlers Inventory(IServiceProvider services) => services.GetRequiredService<InventoryHandlers>();

    private static EngineHandlers Engine(IServiceProvider services) => services.GetRequiredService<EngineHandlers>();

    private static string Value(HttpRequest request, string name) => request.RouteValues[name]?.ToString() ?? "";
}
