using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class GetDeduction(InventoryHandlers handlers)
{
    [Function(nameof(GetDeduction))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "deductions/{orderId}")] HttpRequest request, string orderId) =>
        handlers.GetDeductionAsync(request, orderId).RespondAsync(request);
}
