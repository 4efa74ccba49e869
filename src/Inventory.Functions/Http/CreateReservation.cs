using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class CreateReservation(ReservationHandlers handlers)
{
    [Function(nameof(CreateReservation))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = "reservations")] HttpRequest request) =>
        handlers.HoldAsync(request).RespondAsync(request);
}
