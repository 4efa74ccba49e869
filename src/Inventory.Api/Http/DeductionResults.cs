using Inventory.Domain;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Api.Http;

/// <summary>The one mapping from a deduction outcome to HTTP status and body, used by the single and batch routes.</summary>
internal static class DeductionResults
{
    public const string ReplayedHeader = "Idempotent-Replayed";

    public static (int Status, object Body) Describe(DeductionOutcome outcome) => outcome.Status switch
    {
        DeductionStatus.Deducted => (200, new DeductionBody(outcome.OrderId, "deducted", BodyMapping.Lines(outcome.Lines))),
        DeductionStatus.Insufficient => (409, new InsufficientBody(outcome.OrderId, "insufficient",
            (outcome.Short ?? []).Select(s => new ShortLineBody(s.Sku, s.Requested, s.Available)).ToList())),
        DeductionStatus.LimitExceeded => (409, new LimitExceededBody(outcome.OrderId, "limit_exceeded",
            (outcome.OverLimit ?? []).Select(l => new LimitLineBody(l.Sku, l.Limit, l.AlreadyTaken, l.Requested)).ToList())),
        DeductionStatus.Cancelled => (409, new OutcomeBody(outcome.OrderId, "cancelled")),
        DeductionStatus.UnknownSku => (404, ProblemBody(404, "Unknown SKU", $"Never stocked: {string.Join(", ", outcome.UnknownSkus ?? [])}.",
            new Dictionary<string, object?> { ["orderId"] = outcome.OrderId, ["skus"] = outcome.UnknownSkus })),
        DeductionStatus.Conflict => (422, ProblemBody(422, "Order id already used", "This order id was used with other lines; an order id is single-use.",
            new Dictionary<string, object?> { ["orderId"] = outcome.OrderId, ["errors"] = new Dictionary<string, string[]> { ["orderId"] = ["was already used with other lines"] } })),
        DeductionStatus.Throttled => (429, ProblemBody(429, "Too many requests for this SKU", "Retry after the time in Retry-After.",
            new Dictionary<string, object?> { ["orderId"] = outcome.OrderId })),
        DeductionStatus.Unavailable => (503, ProblemBody(503, "Temporarily unavailable",
            $"Nothing was deducted: {Unavailability.Explain(outcome.Cause)}. Retry later with the same order id.",
            new Dictionary<string, object?> { ["orderId"] = outcome.OrderId, ["outcome"] = "not_deducted", ["cause"] = outcome.Cause ?? "unavailable" })),
        _ => (503, new OutcomeBody(outcome.OrderId, "unknown")),
    };

    public static IResult ToResult(DeductionOutcome outcome)
    {
        var (status, body) = Describe(outcome);
        // No dictionary for the usual answer (a first decision, not throttled): it has no extra header.
        Dictionary<string, string>? headers = null;
        if (outcome.Replayed)
        {
            (headers ??= [])[ReplayedHeader] = "true";
        }

        if (outcome.RetryAfter is { } retryAfter)
        {
            (headers ??= [])["Retry-After"] = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return new JsonBodyResult(status, body, body is ProblemDetails ? "application/problem+json" : "application/json", headers);
    }

    private static ProblemDetails ProblemBody(int status, string title, string detail, Dictionary<string, object?> extensions)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = "https://www.rfc-editor.org/rfc/rfc9110#section-15" };
        foreach (var (name, value) in extensions)
        {
            problem.Extensions[name] = value;
        }

        return problem;
    }
}
