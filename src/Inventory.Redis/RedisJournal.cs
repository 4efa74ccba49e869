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

    private static JournalEntry ToEntry(int partition, StreamEntry entry)
    {
        string? Field(string name) => entry[name].IsNull ? null : (string?)entry[name];
        long Number(string name) => long.Parse(Field(name) ?? "0", CultureInfo.InvariantCulture);
        // Empty means none: the scripts always write the field, which keeps their XADD one line.
        var customer = Field("c");
        var limit = Field("l");
        return new JournalEntry(partition, (string)entry.Id!, Field("k") ?? "", Field("o") ?? "", Field("s") ?? "",
            Number("d"), Number("q"), Number("a"), Number("t"), Field("r"),
            string.IsNullOrEmpty(customer) ? null : customer,
            string.IsNullOrEmpty(limit) ? null : long.Parse(limit, CultureInfo.InvariantCulture));
    }
}
