using Inventory.Api.Queues;
using Inventory.Domain;
using Inventory.Redis;
using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

/// <summary>
/// A dependency failing mid-request (Redis timeout or lost connection, SQL unreachable, the storage account
/// refusing) is a 503 problem, never a bare 500 or a stack trace: nothing was half-done (every change is one
/// script), and every changing route is safe to retry with the same id. An outright Redis refusal (OOM, READONLY,
/// ...) is not a timeout: the problem names it, says nothing changed, and carries Retry-After. Both hosts wrap their
/// handlers with this.
/// </summary>
public static class DependencyFailures
{
    public static Task<IResult> GuardAsync(Func<Task<IResult>> handler, CancellationToken requestAborted = default) =>
        GuardAsync(static (run, _) => run(), handler, 0, requestAborted);

    /// <summary>The same guard for a handler that takes its arguments, so the plain server's routes need no closure per request.</summary>
    public static async Task<IResult> GuardAsync<TServices, TRequest>(Func<TServices, TRequest, Task<IResult>> handler, TServices services, TRequest request, CancellationToken requestAborted)
    {
        try
        {
            return await handler(services, request).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisFailures.RefusalOf(e) is { } refusal)
        {
            return Unavailability.Problem(refusal.Cause, refusal.RetryAfter, $"Redis refused the change ({refusal.Code}: {refusal.Meaning}); nothing changed. Retry later with the same id.");
        }
        catch (Exception e) when (IsDependencyFailure(e, requestAborted))
        {
            return Unavailable(e);
        }
    }

    private static IResult Unavailable(Exception e) =>
        Problems.Status(StatusCodes.Status503ServiceUnavailable, "Dependency unavailable",
            "A backing service did not answer in time; retry with the same order or adjustment id.",
            new Dictionary<string, object?> { ["dependency"] = Dependency(e) });

    public static bool IsDependencyFailure(Exception e, CancellationToken requestAborted = default) =>
        RedisFailures.IsTransient(e) || e is System.Data.Common.DbException || StorageQueues.IsUnavailable(e, requestAborted);

    private static string Dependency(Exception e) => e switch
    {
        _ when RedisFailures.IsTransient(e) => "redis",
        System.Data.Common.DbException => "sql",
        _ => "queue",
    };
}

/// <summary>503s that are definite: nothing changed, for a named cause, retry after a stated time.</summary>
internal static class Unavailability
{
    public static string Explain(string? cause) => cause switch
    {
        UnavailableCauses.JournalBacklog => "the partition's journal is at its bound (SQL is behind)",
        UnavailableCauses.Rebuilding => "the partition is being rebuilt from SQL after Redis lost its data",
        UnavailableCauses.LedgerUnavailable => "Redis forgot this id and SQL's ledger, which remembers it, did not answer",
        { } redis when RedisRefusal.Parse(redis.StartsWith("redis_", StringComparison.Ordinal) ? redis[6..].ToUpperInvariant() : "") is { } refusal =>
            $"Redis refused the command ({refusal.Code}: {refusal.Meaning})",
        _ => "a backing service refused the request",
    };

    public static IResult Problem(string cause, TimeSpan retryAfter, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = 503, Title = "Temporarily unavailable", Detail = detail, Type = "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
        };
        problem.Extensions["cause"] = cause;
        foreach (var (name, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.Extensions[name] = value;
        }

        return new JsonBodyResult(503, problem, "application/problem+json", new Dictionary<string, string> { ["Retry-After"] = RetryAfterSeconds(retryAfter) });
    }

    public static string RetryAfterSeconds(TimeSpan retryAfter) =>
        Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
