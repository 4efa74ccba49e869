using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class GetReservation(ReservationHandlers handlers)
{
    [Function(nameof(GetReservation))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "reservations/{reservationId}")] HttpRequest request, string reservationId) =>
        handlers.GetAsync(request, reservationId).RespondAsync(request);
}
