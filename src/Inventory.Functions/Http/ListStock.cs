using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class ListStock(InventoryHandlers handlers)
{
    [Function(nameof(ListStock))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "stock")] HttpRequest request) =>
        handlers.ListStockAsync(request).RespondAsync(request);
}
