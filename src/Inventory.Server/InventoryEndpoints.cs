using Inventory.Api.Http;

namespace Inventory.Server;

public static class InventoryEndpoints
{
    /// <summary>Maps every route of <see cref="InventoryRoutes"/> under /api, guarded like the Functions host guards them.</summary>
    public static IEndpointRouteBuilder MapInventory(this IEndpointRouteBuilder app)
    {
        foreach (var route in InventoryRoutes.All)
        {
            app.MapMethods($"/{InventoryRoutes.Prefix}/{route.Template}", [route.Method], (HttpContext context, ApiKeys keys) =>
            {
                var presented = context.Request.Headers["x-functions-key"].FirstOrDefault() ?? context.Request.Query["code"].FirstOrDefault();
                return keys.Allows(route.Access, presented)
                    ? DependencyFailures.GuardAsync(() => route.Invoke(context.RequestServices, context.Request), context.RequestAborted)
                    : Task.FromResult(Results.Problem(statusCode: 401, title: "Unauthorized",
                        detail: route.Access == RouteAccess.Admin ? "This route needs the admin key (x-functions-key header or code query)." : "This route needs a function key (x-functions-key header or code query)."));
            }).WithName(route.Name).Describe(route);
        }

        return app;
    }
}
