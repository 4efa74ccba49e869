using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Inventory.Functions.Http;

public sealed class CommitReservation(ReservationHandlers handlers)
{
    [Function(nameof(CommitReservation))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Function, "post", Route = "reservations/{reservationId}/commit")] HttpRequest request, string reservationId) =>
        handlers.CommitAsync(request, reservationId).RespondAsync(request);
}
