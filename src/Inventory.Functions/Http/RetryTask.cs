using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class RetryTask(EngineHandlers handlers)
{
    [Function(nameof(RetryTask))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Admin, "post", Route = "tasks/{id}/retry")] HttpRequest request, string id) =>
        handlers.RetryAsync(request, id).RespondAsync(request);
}
