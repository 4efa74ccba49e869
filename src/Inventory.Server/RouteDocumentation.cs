using Inventory.Api.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Inventory.Server;

/// <summary>What the OpenAPI document says of each route of <see cref="InventoryRoutes"/>: summary, body, answers.</summary>
internal static class RouteDocumentation
{
    private sealed record Doc(string Summary, Type? Body, params (int Status, Type? Type)[] Answers);

    private static readonly Dictionary<string, Doc> Docs = new()
    {
        ["Deduct"] = new("Check and deduct every line of an order, once per order id", typeof(DeductionRequestBody),
            (200, typeof(DeductionBody)), (409, typeof(InsufficientBody)), (400, null), (404, null), (413, null), (415, null), (422, null), (429, null), (503, typeof(DeductionBody))),
        ["DeductBatch"] = new("Deduct up to 500 orders; results in request order", typeof(DeductionBatchRequestBody), (200, typeof(BatchBody)), (400, null), (413, null), (415, null)),
        ["GetDeduction"] = new("An order's state, lines and whether SQL holds it", null, (200, typeof(OrderBody)), (404, null)),
        ["CancelDeduction"] = new("Restock every line of an order exactly once", null, (200, typeof(DeductionBody)), (404, null), (503, typeof(DeductionBody))),
        ["ReturnDeduction"] = new("Restock part of a deducted order, once per return id, never more than is left", typeof(ReturnRequestBody),
            (200, typeof(ReturnBody)), (409, typeof(ExceedsBody)), (400, null), (404, null), (413, null), (415, null), (422, null), (503, typeof(ReturnStatusBody))),
        ["GetStock"] = new("Units available of one SKU", null, (200, typeof(StockBody)), (404, null)),
        ["ListStock"] = new("Units available of up to 100 SKUs (?skus=a,b,c)", null, (200, typeof(StockListBody)), (400, null)),
        ["GetStockHistory"] = new("A SKU's changes from SQL's ledger, oldest first (?after=seq&limit=1..500)", null, (200, typeof(HistoryBody)), (400, null), (404, null), (503, null)),
        ["SetStock"] = new("Set absolute stock, optionally compare-and-set (admin)", typeof(SetStockRequestBody), (200, typeof(StockBody)), (400, null), (409, null), (503, null)),
        ["AdjustStock"] = new("Add or remove units, idempotent per adjustment id (admin)", typeof(AdjustmentRequestBody), (200, typeof(AdjustmentBody)), (404, null), (409, null), (422, null), (503, null)),
        ["Health"] = new("Dependency status (anonymous)", null, (200, typeof(HealthBody)), (503, typeof(HealthBody))),
        ["TaskStats"] = new("Task backlog per shard and status, oldest pending age, journal per partition", null, (200, null), (503, null)),
        ["DeadTasks"] = new("Dead tasks (admin)", null, (200, null), (503, null)),
        ["RetryTask"] = new("Put a dead task back to pending (admin)", null, (200, null), (404, null), (503, null)),
        ["RedrivePoison"] = new("Move poisoned wake-ups back to inventory-tasks (admin)", null, (200, null)),
        ["GetReconciliation"] = new("The last reconciliation run of this instance", null, (200, null), (404, null), (503, null)),
        ["RunReconciliation"] = new("Reconcile Redis with SQL now (admin)", null, (200, null), (503, null)),
    };

    public static RouteHandlerBuilder Describe(this RouteHandlerBuilder builder, RouteSpec route)
    {
        if (!Docs.TryGetValue(route.Name, out var doc))
        {
            throw new InvalidOperationException($"Route {route.Name} has no API documentation in {nameof(RouteDocumentation)}.");
        }

        builder.WithSummary(doc.Summary).WithTags(route.Template.Split('/')[0]);

        // Not Accepts(...): that metadata makes routing answer a wrong content type with a bare 415 before the
        // handler can answer with problem+json, as the Functions host lets it.
        if (doc.Body is { } body)
        {
            builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(body, null, cancellationToken) },
                    },
                };
            });
        }

        if (route.Access != RouteAccess.Anonymous)
        {
            builder.ProducesProblem(401);
        }

        foreach (var (status, type) in doc.Answers)
        {
            if (type is null && status >= 400)
            {
                builder.ProducesProblem(status);
            }
            else
            {
                builder.Produces(status, type, type is null ? null : "application/json");
            }
        }

        return builder;
    }
}
