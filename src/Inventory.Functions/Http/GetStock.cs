using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class GetStock(InventoryHandlers handlers)
{
    [Function(nameof(GetStock))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "stock/{sku}")] HttpRequest request, string sku) =>
        handlers.GetStockAsync(request, sku).RespondAsync(request);
}
