using System.Globalization;
using Inventory.Persistence;
using StackExchange.Redis;

namespace Inventory.Redis;

/// <summary>The per-partition streams the scripts append to, read and trimmed by the task engine.</summary>
public sealed class RedisJournal(IConnectionMultiplexer redis, RedisOptions options) : IJournal
{
    private readonly RedisKeys _keys = new(options.KeyPrefix);

    public int PartitionCount => options.Partitions;

    public async Task<IReadOnlyList<JournalEntry>> ReadAsync(int partition, string afterId, int maxCount, CancellationToken cancellationToken = default)
    {
        var start = afterId is "" or "0" or "0-0" ? "-" : "(" + afterId;
        var entries = await redis.GetDatabase().StreamRangeAsync(_keys.Journal(partition), start, "+", maxCount).ConfigureAwait(false);
        return entries.Select(e => ToEntry(partition, e)).ToList();
    }

    public async Task<long> TrimAsync(int partition, string throughId, CancellationToken cancellationToken = default)
    {
        // MINID keeps ids >= the threshold, so the threshold is the smallest id after throughId.
        var dash = throughId.IndexOf('-');
        var ms = dash < 0 ? throughId : throughId[..dash];
        var seq = dash < 0 ? 0UL : ulong.Parse(throughId[(dash + 1)..], CultureInfo.InvariantCulture);
        var next = $"{ms}-{seq + 1}";
        var removed = await redis.GetDatabase().ExecuteAsync("XTRIM", [_keys.Journal(partition), "MINID", next]).ConfigureAwait(false);
        return (long)removed;
    }

    public Task<long> LengthAsync(int partition, CancellationToken cancellationToken = default) =>
        redis.GetDatabase().StreamLengthAsync(_keys.Journal(partition));

    /// <summary>
    /// One pass over the entry's fields by their one-letter names (the scripts write k o s d q a t r c l): looking each
    /// up by name scanned the array per field, a tenth of the engine's CPU at full load.
    /// </summary>
    private static JournalEntry ToEntry(int partition, StreamEntry entry)
    {
        string kind = "", order = "", sku = "";
        string? reason = null, customer = null;
        long delta = 0, sequence = 0, after = 0, time = 0;
        long? limit = null;
        foreach (var field in entry.Values)
        {
            var name = (string?)field.Name;
            if (name is not { Length: 1 })
            {
                continue;
            }

            switch (name[0])
            {
                case 'k': kind = (string?)field.Value ?? ""; break;
                case 'o': order = (string?)field.Value ?? ""; break;
                case 's': sku = (string?)field.Value ?? ""; break;
                case 'd': delta = (long)field.Value; break;
                case 'q': sequence = (long)field.Value; break;
                case 'a': after = (long)field.Value; break;
                case 't': time = (long)field.Value; break;
                case 'r': reason = (string?)field.Value; break;
                // Empty means none: the scripts always write these, which keeps their XADD one line.
                case 'c': customer = NullIfEmpty(field.Value); break;
                case 'l': limit = NullIfEmpty(field.Value) is null ? null : (long)field.Value; break;
            }
        }

        return new JournalEntry(partition, (string)entry.Id!, kind, order, sku, delta, sequence, after, time, reason, customer, limit);
    }

    private static string? NullIfEmpty(RedisValue value) => value.IsNullOrEmpty ? null : (string?)value;
}
