using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class ReturnDeduction(InventoryHandlers handlers)
{
    [Function(nameof(ReturnDeduction))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = "deductions/{orderId}/returns")] HttpRequest request, string orderId) =>
        handlers.ReturnAsync(request, orderId).RespondAsync(request);
}
