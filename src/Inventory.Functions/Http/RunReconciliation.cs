using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class RunReconciliation(ReconciliationHandlers handlers)
{
    [Function(nameof(RunReconciliation))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Admin, "post", Route = "reconciliation/run")] HttpRequest request) =>
        handlers.RunAsync(request).RespondAsync(request);
}
