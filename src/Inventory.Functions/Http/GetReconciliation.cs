using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class GetReconciliation(ReconciliationHandlers handlers)
{
    [Function(nameof(GetReconciliation))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "reconciliation")] HttpRequest request) =>
        handlers.LastAsync(request).RespondAsync(request);
}
