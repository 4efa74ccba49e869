using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class RedrivePoison(EngineHandlers handlers)
{
    [Function(nameof(RedrivePoison))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Admin, "post", Route = "tasks/poison/redrive")] HttpRequest request) =>
        handlers.RedrivePoisonAsync(request).RespondAsync(request);
}
