using Inventory.Redis;
using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

/// <summary>
/// A dependency failing mid-request (Redis timeout or lost connection, SQL unreachable) is a 503 problem, never a
/// bare 500: nothing was half-done (every change is one script), and every changing route is safe to retry with
/// the same id. Both hosts wrap their handlers with this.
/// </summary>
public static class DependencyFailures
{
    public static async Task<IResult> GuardAsync(Func<Task<IResult>> handler)
    {
        try
        {
            return await handler().ConfigureAwait(false);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e) || e is System.Data.Common.DbException)
        {
            return Problems.Status(StatusCodes.Status503ServiceUnavailable, "Dependency unavailable",
                "A backing service did not answer in time; retry with the same order or adjustment id.");
        }
    }
}
