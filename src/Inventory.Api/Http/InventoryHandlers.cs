using System.Text.Json;
using Inventory.Api.Hosting;
using Inventory.Application;
using Inventory.Domain;
using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

/// <summary>
/// Every HTTP route's behaviour, written once. The plain server maps these to minimal API routes; the Functions
/// app calls them from thin HTTP-triggered functions. Authentication is the host's job.
/// </summary>
public sealed class InventoryHandlers(InventoryService inventory, HealthReporter health)
{
    public async Task<IResult> DeductAsync(HttpRequest request)
    {
        var (document, fast, problem) = await RequestBody.ReadAsync(request, Limits.MaxBodyBytes, DeductionJson.TryRead, request.HttpContext.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        if (fast is not null)
        {
            return DeductionResults.ToResult(await inventory.DeductAsync(fast, request.HttpContext.RequestAborted));
        }

        using (document)
        {
            var parser = new RequestParser();
            var deduction = parser.Deduction(document!.RootElement);
            if (deduction is null)
            {
                return Problems.Invalid(parser.Errors);
            }

            return DeductionResults.ToResult(await inventory.DeductAsync(deduction, request.HttpContext.RequestAborted));
        }
    }

    public async Task<IResult> DeductBatchAsync(HttpRequest request)
    {
        var (document, problem) = await RequestBody.ReadAsync(request, Limits.MaxBatchBodyBytes, request.HttpContext.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            if (!document!.RootElement.TryGetProperty("deductions", out var items) || items.ValueKind != JsonValueKind.Array
                || items.GetArrayLength() is 0 or > Limits.MaxBatchSize)
            {
                return Problems.Invalid("deductions", $"must be an array of 1 to {Limits.MaxBatchSize} deductions");
            }

            var requests = new List<DeductionRequest>();
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            var index = 0;
            foreach (var item in items.EnumerateArray())
            {
                var parser = new RequestParser($"deductions[{index++}].");
                if (item.ValueKind != JsonValueKind.Object)
                {
                    parser.Fail("", "must be an object");
                }
                else if (parser.Deduction(item) is { } deduction)
                {
                    requests.Add(deduction);
                }

                foreach (var (field, messages) in parser.Errors)
                {
                    errors.TryAdd(field.TrimEnd('.'), messages);
                }
            }

            if (errors.Count > 0)
            {
                return Problems.Invalid(errors);
            }

            var outcomes = await inventory.DeductBatchAsync(requests, request.HttpContext.RequestAborted);
            var results = outcomes.Select(o =>
            {
                var (status, body) = DeductionResults.Describe(o);
                return new BatchItemBody(status, o.Replayed, body);
            }).ToList();
            return new JsonBodyResult(200, new BatchBody(results), "application/json");
        }
    }

    public async Task<IResult> GetDeductionAsync(HttpRequest request, string orderId)
    {
        if (Identifiers.Validate(orderId) is { } reason)
        {
            return Problems.Invalid("orderId", reason);
        }

        var view = await inventory.GetOrderAsync(orderId, request.HttpContext.RequestAborted);
        if (view is null)
        {
            return NotFound("Unknown order", $"No deduction is known for order '{orderId}'.");
        }

        var status = view.State switch
        {
            OrderState.Deducted => "deducted",
            OrderState.Cancelled => "cancelled",
            _ => "pending",
        };
        return Json(200, new OrderBody(orderId, status, view.Lines.Select(l => new OrderLineBody(l.Sku, l.Quantity)).ToList(), view.Persisted));
    }

    public async Task<IResult> CancelAsync(HttpRequest request, string orderId)
    {
        if (Identifiers.Validate(orderId) is { } reason)
        {
            return Problems.Invalid("orderId", reason);
        }

        var outcome = await inventory.CancelAsync(orderId, request.HttpContext.RequestAborted);
        return outcome.Status switch
        {
            CancelStatus.Cancelled => new JsonBodyResult(200, new DeductionBody(orderId, "cancelled", BodyMapping.Lines(outcome.Lines)), "application/json",
                outcome.Replayed ? new Dictionary<string, string> { [DeductionResults.ReplayedHeader] = "true" } : null),
            CancelStatus.NotFound => NotFound("Unknown order", $"No deduction is known for order '{orderId}'; a later deduction under this id will be refused."),
            CancelStatus.Unavailable => Unavailability.Problem(outcome.Cause ?? "unavailable", outcome.RetryAfter ?? UnavailableCauses.RebuildRetry,
                $"Nothing was cancelled or restocked: {Unavailability.Explain(outcome.Cause)}. Retry later.", new Dictionary<string, object?> { ["orderId"] = orderId }),
            _ => Json(503, new OutcomeBody(orderId, "unknown")),
        };
    }

    public async Task<IResult> ReturnAsync(HttpRequest request, string orderId)
    {
        if (Identifiers.Validate(orderId) is { } reason)
        {
            return Problems.Invalid("orderId", reason);
        }

        var (document, problem) = await RequestBody.ReadAsync(request, Limits.MaxBodyBytes, request.HttpContext.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            var parser = new RequestParser();
            var returned = parser.Return(document!.RootElement, orderId);
            if (returned is null)
            {
                return Problems.Invalid(parser.Errors);
            }

            var outcome = await inventory.ReturnAsync(returned, request.HttpContext.RequestAborted);
            var ids = new Dictionary<string, object?> { ["orderId"] = orderId, ["returnId"] = returned.ReturnId };
            return outcome.Status switch
            {
                ReturnStatus.Returned => new JsonBodyResult(200, new ReturnBody(orderId, returned.ReturnId, BodyMapping.Lines(outcome.Lines)), "application/json",
                    outcome.Replayed ? new Dictionary<string, string> { [DeductionResults.ReplayedHeader] = "true" } : null),
                ReturnStatus.Exceeds => Json(409, new ExceedsBody(orderId, returned.ReturnId, "exceeds",
                    (outcome.Exceeds ?? []).Select(e => new ExceedingLineBody(e.Sku, e.Requested, e.Returnable)).ToList())),
                ReturnStatus.Cancelled => Json(409, new ReturnStatusBody(orderId, returned.ReturnId, "cancelled")),
                ReturnStatus.NotFound => Problems.Status(404, "Unknown order", $"No deduction stands under order '{orderId}'.", ids),
                ReturnStatus.Conflict => Problems.Status(422, "Return id already used", "This return id was used for this order with other lines; a return id is single-use.",
                    new Dictionary<string, object?>(ids) { ["errors"] = new Dictionary<string, string[]> { ["returnId"] = ["was already used with other lines"] } }),
                ReturnStatus.Unavailable => Unavailability.Problem(outcome.Cause ?? "unavailable", outcome.RetryAfter ?? UnavailableCauses.RebuildRetry,
                    $"Nothing was restocked: {Unavailability.Explain(outcome.Cause)}. Retry later with the same return id.",
                    ids),
                _ => Json(503, new ReturnStatusBody(orderId, returned.ReturnId, "unknown")),
            };
        }
    }

    public async Task<IResult> GetStockAsync(HttpRequest request, string sku)
    {
        if (Identifiers.Validate(sku) is { } reason)
        {
            return Problems.Invalid("sku", reason);
        }

        var levels = await inventory.GetStockAsync([sku], request.HttpContext.RequestAborted);
        return levels[0] is { } level ? Json(200, new StockLevelBody(level.Sku, level.Available, level.Reserved, level.LimitPerCustomer)) : UnknownSku(sku);
    }

    public async Task<IResult> ListStockAsync(HttpRequest request)
    {
        var raw = request.Query["skus"].ToString();
        var skus = raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).ToList();
        if (skus.Count is 0 or > Limits.MaxSkusPerQuery)
        {
            return Problems.Invalid("skus", $"must list 1 to {Limits.MaxSkusPerQuery} SKUs, comma separated");
        }

        if (skus.Select(Identifiers.Validate).FirstOrDefault(r => r is not null) is { } reason)
        {
            return Problems.Invalid("skus", $"every SKU {reason}");
        }

        var levels = await inventory.GetStockAsync(skus, request.HttpContext.RequestAborted);
        var items = levels.OfType<StockLevel>().Select(l => new StockBody(l.Sku, l.Available, l.LimitPerCustomer)).ToList();
        var unknown = skus.Where((_, i) => levels[i] is null).ToList();
        return Json(200, new StockListBody(items, unknown));
    }

    public Task<IResult> SetStockAsync(HttpRequest request, string sku) => WithSkuAndBodyAsync(request, sku, async body =>
    {
        var parser = new RequestParser();
        var available = parser.Integer(body, "available", 0, Limits.MaxStock);
        var expected = parser.Integer(body, "expectedAvailable", 0, Limits.MaxStock, required: false);
        var limit = parser.Integer(body, "limitPerCustomer", 1, Limits.MaxStock, required: false);
        if (!parser.IsValid)
        {
            return Problems.Invalid(parser.Errors);
        }

        var change = await inventory.SetStockAsync(sku, available!.Value, expected, limit, request.HttpContext.RequestAborted);
        if (change.Status == StockChangeStatus.Unavailable)
        {
            return Rebuilding(sku);
        }

        return change.Status == StockChangeStatus.Applied
            ? Json(200, new StockBody(sku, change.Available, change.LimitPerCustomer))
            : Problems.Status(409, "Stock changed meanwhile", $"expectedAvailable did not match: '{sku}' has {change.Available}.",
                new Dictionary<string, object?> { ["sku"] = sku, ["available"] = change.Available });
    });

    public Task<IResult> AdjustAsync(HttpRequest request, string sku) => WithSkuAndBodyAsync(request, sku, async body =>
    {
        var parser = new RequestParser();
        var adjustmentId = parser.Identifier(body, "adjustmentId");
        var delta = parser.Integer(body, "delta", -Limits.MaxStock, Limits.MaxStock);
        var why = parser.Text(body, "reason", 200) ?? "";
        if (delta == 0)
        {
            parser.Fail("delta", "must not be zero");
        }

        if (!parser.IsValid)
        {
            return Problems.Invalid(parser.Errors);
        }

        var change = await inventory.AdjustAsync(sku, adjustmentId!, delta!.Value, why, request.HttpContext.RequestAborted);
        return change.Status switch
        {
            StockChangeStatus.Applied => new JsonBodyResult(200, new AdjustmentBody(sku, adjustmentId!, change.Available), "application/json",
                change.Replayed ? new Dictionary<string, string> { [DeductionResults.ReplayedHeader] = "true" } : null),
            StockChangeStatus.UnknownSku => UnknownSku(sku),
            StockChangeStatus.Unavailable => Rebuilding(sku),
            StockChangeStatus.Rejected => Problems.Status(409, "Adjustment out of range", $"'{sku}' has {change.Available}; stock may not go below zero.",
                new Dictionary<string, object?> { ["sku"] = sku, ["available"] = change.Available }),
            _ => Problems.Status(422, "Adjustment id already used", "This adjustment id was used with another SKU or delta.",
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["adjustmentId"] = ["was already used with another delta"] } }),
        };
    });

    /// <summary>The stock routes' shared start: a valid SKU in the path and a JSON object body within limits.</summary>
    private static async Task<IResult> WithSkuAndBodyAsync(HttpRequest request, string sku, Func<JsonElement, Task<IResult>> handle)
    {
        if (Identifiers.Validate(sku) is { } reason)
        {
            return Problems.Invalid("sku", reason);
        }

        var (document, problem) = await RequestBody.ReadAsync(request, Limits.MaxBodyBytes, request.HttpContext.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            return await handle(document!.RootElement);
        }
    }

    public async Task<IResult> HealthAsync(HttpRequest request)
    {
        var report = await health.CheckAsync(request.HttpContext.RequestAborted);
        return Json(report.Critical ? 503 : 200, new HealthBody(report.Status, report.Dependencies.Select(r => new DependencyBody(r.Name, r.Healthy, r.Detail, r.Data)).ToList()));
    }

    private static JsonBodyResult Json(int status, object body) => new(status, body, "application/json");

    private static IResult NotFound(string title, string detail) => Problems.Status(404, title, detail);

    private static IResult Rebuilding(string sku) =>
        Unavailability.Problem(UnavailableCauses.Rebuilding, UnavailableCauses.RebuildRetry,
            $"The partition holding '{sku}' is being rebuilt from SQL; nothing changed, retry later.", new Dictionary<string, object?> { ["sku"] = sku });

    private static IResult UnknownSku(string sku) =>
        Problems.Status(404, "Unknown SKU", $"'{sku}' was never stocked.", new Dictionary<string, object?> { ["sku"] = sku });
}
