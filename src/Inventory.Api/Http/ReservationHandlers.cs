using Inventory.Application;
using Inventory.Domain;
using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

/// <summary>The reservation routes (holds with expiry), written once for both hosts. docs/holds.md.</summary>
public sealed class ReservationHandlers(InventoryService inventory)
{
    public async Task<IResult> HoldAsync(HttpRequest request)
    {
        var (document, problem) = await RequestBody.ReadAsync(request, Limits.MaxBodyBytes, request.HttpContext.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            var parser = new RequestParser();
            var hold = parser.Hold(document!.RootElement);
            if (hold is null)
            {
                return Problems.Invalid(parser.Errors);
            }

            var outcome = await inventory.HoldAsync(hold, request.HttpContext.RequestAborted);
            var id = hold.ReservationId;
            var ids = new Dictionary<string, object?> { ["reservationId"] = id };
            return outcome.Status switch
            {
                HoldStatus.Held => new JsonBodyResult(200, new HoldBody(id, "held", outcome.ExpiresAt!.Value.UtcDateTime, BodyMapping.Lines(outcome.Lines)), "application/json", Replayed(outcome.Replayed)),
                HoldStatus.Insufficient => Json(409, new HoldInsufficientBody(id, "insufficient",
                    (outcome.Short ?? []).Select(s => new ShortLineBody(s.Sku, s.Requested, s.Available)).ToList())),
                HoldStatus.LimitExceeded => Json(409, new HoldLimitExceededBody(id, "limit_exceeded",
                    (outcome.OverLimit ?? []).Select(l => new LimitLineBody(l.Sku, l.Limit, l.AlreadyTaken, l.Requested)).ToList())),
                HoldStatus.UnknownSku => Problems.Status(404, "Unknown SKU", $"Never stocked: {string.Join(", ", outcome.UnknownSkus ?? [])}; nothing was held.",
                    new Dictionary<string, object?>(ids) { ["skus"] = outcome.UnknownSkus }),
                HoldStatus.Conflict => Problems.Status(422, "Reservation id already used", "This reservation id was used with other lines (or another customer); a reservation id is single-use.",
                    new Dictionary<string, object?>(ids) { ["errors"] = new Dictionary<string, string[]> { ["reservationId"] = ["was already used with other lines"] } }),
                HoldStatus.Unavailable => Unavailability.Problem(outcome.Cause ?? "unavailable", outcome.RetryAfter ?? UnavailableCauses.RebuildRetry,
                    $"Nothing was held: {Unavailability.Explain(outcome.Cause)}. Retry later with the same reservation id.", ids),
                _ => Json(503, new HoldStatusBody(id, "unknown")),
            };
        }
    }

    public async Task<IResult> CommitAsync(HttpRequest request, string reservationId)
    {
        if (Identifiers.Validate(reservationId) is { } reason)
        {
            return Problems.Invalid("reservationId", reason);
        }

        var (document, problem) = await RequestBody.ReadAsync(request, Limits.MaxBodyBytes, request.HttpContext.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        using (document)
        {
            var parser = new RequestParser();
            var orderId = parser.Identifier(document!.RootElement, "orderId");
            if (orderId is null)
            {
                return Problems.Invalid(parser.Errors);
            }

            var outcome = await inventory.CommitHoldAsync(reservationId, orderId, request.HttpContext.RequestAborted);
            return outcome.Status switch
            {
                HoldSettleStatus.Committed => new JsonBodyResult(200, new DeductionBody(orderId, "deducted", BodyMapping.Lines(outcome.Lines)), "application/json", Replayed(outcome.Replayed)),
                HoldSettleStatus.Expired => Json(409, new HoldStatusBody(reservationId, "expired")),
                HoldSettleStatus.Released => Json(409, new HoldStatusBody(reservationId, "released")),
                HoldSettleStatus.Conflict => Json(409, new HoldStatusBody(reservationId, "conflict")),
                _ => Settled(outcome, "committed"),
            };
        }
    }

    public async Task<IResult> ReleaseAsync(HttpRequest request, string reservationId)
    {
        if (Identifiers.Validate(reservationId) is { } reason)
        {
            return Problems.Invalid("reservationId", reason);
        }

        var outcome = await inventory.ReleaseHoldAsync(reservationId, request.HttpContext.RequestAborted);
        return outcome.Status switch
        {
            HoldSettleStatus.Released => new JsonBodyResult(200, new ReleaseBody(reservationId, "released", BodyMapping.Lines(outcome.Lines)), "application/json", Replayed(outcome.Replayed)),
            HoldSettleStatus.Committed => Json(409, new HoldStatusBody(reservationId, "committed")),
            HoldSettleStatus.Expired => Json(409, new HoldStatusBody(reservationId, "expired")),
            _ => Settled(outcome, "released"),
        };
    }

    public async Task<IResult> GetAsync(HttpRequest request, string reservationId)
    {
        if (Identifiers.Validate(reservationId) is { } reason)
        {
            return Problems.Invalid("reservationId", reason);
        }

        var view = await inventory.GetHoldAsync(reservationId, request.HttpContext.RequestAborted);
        if (view is null)
        {
            return NotFound(reservationId);
        }

        var status = view.State switch
        {
            HoldState.Held => "held",
            HoldState.Committed => "committed",
            HoldState.Released => "released",
            _ => "expired",
        };
        return Json(200, new ReservationBody(reservationId, status, view.ExpiresAt.UtcDateTime,
            view.Lines.Select(l => new OrderLineBody(l.Sku, l.Quantity)).ToList(), view.OrderId));
    }

    /// <summary>The answers commit and release share: unknown reservation, refused before anything changed, or unknown.</summary>
    private static IResult Settled(HoldSettleOutcome outcome, string done) => outcome.Status switch
    {
        HoldSettleStatus.NotFound => NotFound(outcome.ReservationId),
        HoldSettleStatus.Unavailable => Unavailability.Problem(outcome.Cause ?? "unavailable", outcome.RetryAfter ?? UnavailableCauses.RebuildRetry,
            $"Nothing was {done}: {Unavailability.Explain(outcome.Cause)}. Retry later.", new Dictionary<string, object?> { ["reservationId"] = outcome.ReservationId }),
        _ => Json(503, new HoldStatusBody(outcome.ReservationId, "unknown")),
    };

    private static IResult NotFound(string reservationId) =>
        Problems.Status(404, "Unknown reservation", $"No reservation '{reservationId}' was held.", new Dictionary<string, object?> { ["reservationId"] = reservationId });

    private static Dictionary<string, string>? Replayed(bool replayed) =>
        replayed ? new Dictionary<string, string> { [DeductionResults.ReplayedHeader] = "true" } : null;

    private static JsonBodyResult Json(int status, object body) => new(status, body, "application/json");
}
