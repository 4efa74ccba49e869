using Inventory.Api.Queues;
using Inventory.Redis;
using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

/// <summary>
/// A dependency failing mid-request (Redis timeout or lost connection, SQL unreachable, the storage account
/// refusing) is a 503 problem, never a bare 500 or a stack trace: nothing was half-done (every change is one
/// script), and every changing route is safe to retry with the same id. Both hosts wrap their handlers with this.
/// </summary>
public static class DependencyFailures
{
    public static async Task<IResult> GuardAsync(Func<Task<IResult>> handler, CancellationToken requestAborted = default)
    {
        try
        {
            return await handler().ConfigureAwait(false);
        }
        catch (Exception e) when (IsDependencyFailure(e, requestAborted))
        {
            return Unavailable(e);
        }
    }

    /// <summary>The same guard for a handler that takes its arguments, so the plain server's routes need no closure per request.</summary>
    public static async Task<IResult> GuardAsync<TServices, TRequest>(Func<TServices, TRequest, Task<IResult>> handler, TServices services, TRequest request, CancellationToken requestAborted)
    {
        try
        {
            return await handler(services, request).ConfigureAwait(false);
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
