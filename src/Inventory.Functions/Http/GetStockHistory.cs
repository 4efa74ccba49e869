using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class GetStockHistory(HistoryHandlers handlers)
{
    [Function(nameof(GetStockHistory))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "stock/{sku}/history")] HttpRequest request, string sku) =>
        handlers.GetHistoryAsync(request, sku).RespondAsync(request);
}
