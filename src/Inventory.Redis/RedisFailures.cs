using StackExchange.Redis;

namespace Inventory.Redis;

internal static class RedisFailures
{
    /// <summary>
    /// Failures after which a command may or may not have run: timeouts (RedisTimeoutException is a
    /// TimeoutException, not a RedisException), lost connections, and server refusals such as LOADING or OOM.
    /// </summary>
    public static bool IsTransient(Exception e) => e is RedisException or TimeoutException;
}
