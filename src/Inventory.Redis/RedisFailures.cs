using StackExchange.Redis;

namespace Inventory.Redis;

public static class RedisFailures
{
    /// <summary>
    /// Failures after which a command may or may not have run: timeouts (RedisTimeoutException is a
    /// TimeoutException, not a RedisException), lost connections, and server errors. Check <see cref="RefusalOf"/>
    /// first: a refusal is a definite answer, not an unknown outcome.
    /// </summary>
    public static bool IsTransient(Exception e) => e is RedisException or TimeoutException;

    /// <summary>
    /// The refusal behind a server error, or null when the error says nothing definite. Every script here starts
    /// with <c>#!lua</c> (flags, no <c>allow-oom</c>, no <c>no-writes</c>), so Redis checks memory, replica role, disk
    /// errors and loading before the script's first line and refuses it whole; within a running script it raises OOM
    /// only before the first write. Either way a refused script wrote nothing: its order was not deducted.
    /// </summary>
    public static RedisRefusal? RefusalOf(Exception e) =>
        e is RedisServerException server ? RedisRefusal.Parse(server.Message) : null;
}

/// <summary>A definite "no" from Redis: the command did not run. What it means, and when a retry may succeed.</summary>
public sealed record RedisRefusal(string Code, string Meaning, TimeSpan RetryAfter)
{
    private static readonly RedisRefusal[] Known =
    [
        new("OOM", "Redis is out of memory (maxmemory reached, noeviction): it refuses writes until memory is freed or raised", TimeSpan.FromSeconds(30)),
        new("READONLY", "the node is a read-only replica (a failover is in progress)", TimeSpan.FromSeconds(2)),
        new("LOADING", "Redis is loading its dataset into memory", TimeSpan.FromSeconds(5)),
        new("MISCONF", "Redis refuses writes because its last snapshot to disk failed", TimeSpan.FromSeconds(30)),
        new("NOSCRIPT", "Redis did not know the script (script cache flushed)", TimeSpan.FromSeconds(1)),
        new("BUSY", "Redis is busy running a long script", TimeSpan.FromSeconds(2)),
        new("MASTERDOWN", "the replica lost its link to the primary", TimeSpan.FromSeconds(2)),
        new("CLUSTERDOWN", "the Redis cluster is down", TimeSpan.FromSeconds(5)),
        new("TRYAGAIN", "the Redis cluster is moving the slot", TimeSpan.FromSeconds(1)),
    ];

    /// <summary>Cause names as problem bodies and the metric dimension carry them (<c>redis_oom</c>, ...).</summary>
    public string Cause => "redis_" + Code.ToLowerInvariant();

    public static RedisRefusal? Parse(string? message)
    {
        if (string.IsNullOrEmpty(message))
        {
            return null;
        }

        // Errors from inside a script keep the command's error prefix ("OOM command not allowed ... script: ...").
        var code = message.Split(' ', 2)[0];
        return Array.Find(Known, k => string.Equals(k.Code, code, StringComparison.Ordinal));
    }
}

/// <summary>The partition's marker is gone: its data was lost and it refuses changes until it is rebuilt from SQL.</summary>
public sealed class PartitionLostException(int partition) : RedisException($"Redis partition {partition} lost its data and is being rebuilt.")
{
    public int Partition { get; } = partition;
}
