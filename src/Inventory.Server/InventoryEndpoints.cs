using Inventory.Api.Http;

namespace Inventory.Server;

public static class InventoryEndpoints
{
    /// <summary>Maps every route of <see cref="InventoryRoutes"/> under /api, guarded like the Functions host guards them.</summary>
    public static IEndpointRouteBuilder MapInventory(this IEndpointRouteBuilder app)
    {
        // Handlers and keys are singletons: resolved from the root provider, so a request never creates a DI scope
        // (HttpContext.RequestServices would make one per request, and minimal API service parameters use it).
        var services = app.ServiceProvider;
        var keys = services.GetRequiredService<ApiKeys>();
        foreach (var route in InventoryRoutes.All)
        {
            Func<HttpContext, Task<IResult>> handler = context =>
            {
                var presented = context.Request.Headers["x-functions-key"].FirstOrDefault() ?? context.Request.Query["code"].FirstOrDefault();
                return keys.Allows(route.Access, presented)
                    ? DependencyFailures.GuardAsync(route.Invoke, services, context.Request, context.RequestAborted)
                    : Task.FromResult(Results.Problem(statusCode: 401, title: "Unauthorized",
                        detail: route.Access == RouteAccess.Admin ? "This route needs the admin key (x-functions-key header or code query)." : "This route needs a function key (x-functions-key header or code query)."));
            };
            // As a Delegate, not a RequestDelegate: the returned IResult is what answers.
            app.MapMethods($"/{InventoryRoutes.Prefix}/{route.Template}", [route.Method], (Delegate)handler).WithName(route.Name).Describe(route);
        }

        return app;
    }
}
