using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class DeadTasks(EngineHandlers handlers)
{
    [Function(nameof(DeadTasks))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Admin, "get", Route = "tasks/dead")] HttpRequest request) =>
        handlers.DeadAsync(request).RespondAsync(request);
}
