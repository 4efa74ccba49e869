using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class DeductBatch(InventoryHandlers handlers)
{
    [Function(nameof(DeductBatch))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = "deductions/batch")] HttpRequest request) =>
        handlers.DeductBatchAsync(request).RespondAsync(request);
}
