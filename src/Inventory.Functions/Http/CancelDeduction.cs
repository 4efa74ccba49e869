using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class CancelDeduction(InventoryHandlers handlers)
{
    [Function(nameof(CancelDeduction))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = "deductions/{orderId}/cancel")] HttpRequest request, string orderId) =>
        handlers.CancelAsync(request, orderId).RespondAsync(request);
}
