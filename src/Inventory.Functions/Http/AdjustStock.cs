using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class AdjustStock(InventoryHandlers handlers)
{
    [Function(nameof(AdjustStock))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Admin, "post", Route = "stock/{sku}/adjustments")] HttpRequest request, string sku) =>
        handlers.AdjustAsync(request, sku).RespondAsync(request);
}
