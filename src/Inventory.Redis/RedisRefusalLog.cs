using Inventory.Telemetry;

namespace Inventory.Redis;

/// <summary>
/// The latest outright refusal Redis gave this process, so health can say "writes are refused" from what requests
/// met rather than only from what a periodic INFO read suggests (a full node refuses long before INFO is asked).
/// </summary>
public sealed class RedisRefusalLog(TimeProvider time)
{
    private Noted? _last;

    public sealed record Noted(RedisRefusal Refusal, DateTimeOffset At);

    public Noted? Last => Volatile.Read(ref _last);

    /// <summary>Notes the refusal behind <paramref name="e"/>, if any. For exception filters: always false.</summary>
    public bool NoteIfRefused(Exception e)
    {
        if (RedisFailures.RefusalOf(e) is { } refusal)
        {
            Note(refusal);
        }

        return false;
    }

    public void Note(RedisRefusal refusal)
    {
        Volatile.Write(ref _last, new Noted(refusal, time.GetUtcNow()));
        InventoryTelemetry.RecordRedisRefusal(refusal.Cause);
    }

    /// <summary>A refusal within <paramref name="window"/>, or null.</summary>
    public Noted? Since(TimeSpan window) => Last is { } last && time.GetUtcNow() - last.At <= window ? last : null;
}
