using System.Globalization;
using Inventory.Application;
using Inventory.Domain;
using Inventory.Persistence;
using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

/// <summary>
/// GET /api/stock/{sku}/history: why a SKU is at its level, from SQL's ledger (what the task engine persisted), a
/// page at a time. Without SQL (Provider = none) there is no ledger to read.
/// </summary>
public sealed class HistoryHandlers(InventoryService inventory, ILedgerReader? ledger)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    public async Task<IResult> GetHistoryAsync(HttpRequest request, string sku)
    {
        if (Identifiers.Validate(sku) is { } reason)
        {
            return Problems.Invalid("sku", reason);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var after = Query(request, "after", 0, long.MaxValue, 0, errors);
        var limit = Query(request, "limit", 1, MaxLimit, DefaultLimit, errors);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        if (ledger is null)
        {
            return Problems.Status(503, "No ledger", "This deployment runs without SQL (Inventory:Sql:Provider = none): nothing is persisted, so there is no history.");
        }

        // One row more than asked tells whether another page follows without a second query.
        var rows = await ledger.GetSkuHistoryPageAsync(sku, after, (int)limit + 1, request.HttpContext.RequestAborted);
        var items = rows.Take((int)limit).Select(SkuHistory.Describe).ToList();
        if (items.Count == 0 && after == 0 && (await inventory.GetStockAsync([sku], request.HttpContext.RequestAborted))[0] is null)
        {
            return Problems.Status(404, "Unknown SKU", $"'{sku}' was never stocked.", new Dictionary<string, object?> { ["sku"] = sku });
        }

        long? next = rows.Count > limit ? items[^1].Seq : null;
        var body = new HistoryBody(sku, items.Select(i => new HistoryItemBody(i.Seq, i.Kind, i.Id, i.Delta, i.AvailableAfter, i.At)).ToList(), next);
        return new JsonBodyResult(200, body, "application/json");
    }

    private static long Query(HttpRequest request, string name, long min, long max, long fallback, Dictionary<string, string[]> errors)
    {
        var raw = request.Query[name];
        if (raw.Count == 0 || string.IsNullOrEmpty(raw[0]))
        {
            return fallback;
        }

        if (raw.Count > 1 || !long.TryParse(raw[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors[name] = [$"must be one integer between {min} and {max}"];
            return fallback;
        }

        return value;
    }
}
