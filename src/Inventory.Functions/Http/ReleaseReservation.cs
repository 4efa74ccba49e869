using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class ReleaseReservation(ReservationHandlers handlers)
{
    [Function(nameof(ReleaseReservation))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = "reservations/{reservationId}/release")] HttpRequest request, string reservationId) =>
        handlers.ReleaseAsync(request, reservationId).RespondAsync(request);
}
