using StackExchange.Redis;

namespace Inventory.Redis;

public static class RedisFailures
{
    /// <summary>
    /// Failures after which a command may or may not have run: timeouts (RedisTimeoutException is a
    /// TimeoutException, not a RedisException), lost connections, and server refusals such as LOADING or OOM.
    /// </summary>
    public static bool IsTransient(Exception e) => e is RedisException or TimeoutException;
}

/// <summary>The partition's marker is gone: its data was lost and it refuses changes until it is rebuilt from SQL.</summary>
public sealed class PartitionLostException(int partition) : RedisException($"Redis partition {partition} lost its data and is being rebuilt.")
{
    public int Partition { get; } = partition;
}
