using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class TaskStats(EngineHandlers handlers)
{
    [Function(nameof(TaskStats))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "tasks/stats")] HttpRequest request) =>
        handlers.StatsAsync(request).RespondAsync(request);
}
