using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class SetStock(InventoryHandlers handlers)
{
    [Function(nameof(SetStock))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Admin, "put", Route = "stock/{sku}")] HttpRequest request, string sku) =>
        handlers.SetStockAsync(request, sku).RespondAsync(request);
}
