using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class Deduct(InventoryHandlers handlers)
{
    [Function(nameof(Deduct))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = "deductions")] HttpRequest request) =>
        handlers.DeductAsync(request).RespondAsync(request);
}
