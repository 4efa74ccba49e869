using Inventory.Domain;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

/// <summary>
/// Watches each partition's marker key and puts lost partitions back together. A marker vanishes with the rest of
/// a partition's keys when a node restarts without persistence or is replaced empty; until the partition is rebuilt
/// from SQL (and marked again) its scripts refuse changes with "lost", so nothing is sold from stock that came back.
/// </summary>
public sealed class RedisPartitionGuard(IConnectionMultiplexer redis, RedisOptions options)
{
    private readonly RedisKeys _keys = new(options.KeyPrefix);
    private readonly SeenFilter _seen = new(options.SeenFilterBits);

    private IDatabase Db => redis.GetDatabase();

    public async Task<IReadOnlyList<int>> FindUnmarkedAsync()
    {
        var checks = Enumerable.Range(0, options.Partitions).Select(p => Db.KeyExistsAsync(_keys.Marker(p))).ToArray();
        var exists = await Task.WhenAll(checks).ConfigureAwait(false);
        return Enumerable.Range(0, options.Partitions).Where(p => !exists[p]).ToList();
    }

    /// <summary>
    /// Which primary serves each partition, from the client's cluster map. A partition that moved to another primary
    /// (a failover, coordinated or not) may have lost acknowledged writes that never reached the replica. (A node that
    /// restarted empty loses its markers instead; INFO's replication id would also catch a restart that replayed an
    /// old append-only file, but needs admin mode on the client, which this service does not enable.)
    /// </summary>
    public IReadOnlyDictionary<int, string> Primaries()
    {
        var primaries = new Dictionary<int, string>();
        for (var partition = 0; partition < options.Partitions; partition++)
        {
            if (PrimaryOf(_keys.Stock(partition)) is { } primary)
            {
                primaries[partition] = primary.ToString()!;
            }
        }

        return primaries;
    }

    public Task<bool> UnmarkAsync(int partition) => Db.KeyDeleteAsync(_keys.Marker(partition));

    /// <summary>The primary serving a key, from the client's cached cluster map (IdentifyEndpoint would ask the server).</summary>
    internal System.Net.EndPoint? PrimaryOf(RedisKey key)
    {
        var slot = redis.GetHashSlot(key);
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (server.ServerType == ServerType.Cluster)
            {
                if (server.ClusterConfiguration?.GetBySlot(slot) is { } node)
                {
                    return node.EndPoint;
                }
            }
            else if (server.IsConnected && !server.IsReplica)
            {
                return endpoint;
            }
        }

        return null;
    }

    public Task MarkAsync(int partition) => Db.StringSetAsync(_keys.Marker(partition), Guid.NewGuid().ToString("N"));

    public async Task<long> RestoreStockAsync(int partition, IReadOnlyList<(string Sku, long Available, long Sequence, long? LimitPerCustomer)> rows)
    {
        long restored = 0;
        foreach (var chunk in rows.Chunk(300))
        {
            var args = chunk.SelectMany(r => new RedisValue[] { r.Sku, r.Available, r.Sequence, r.LimitPerCustomer.HasValue ? r.LimitPerCustomer.Value : "" }).ToArray();
            restored += (long)await Db.ScriptEvaluateAsync(RedisScripts.RestoreStock, [_keys.Stock(partition), _keys.Sequences(partition), _keys.Limits(partition)], args).ConfigureAwait(false);
        }

        return restored;
    }

    /// <summary>
    /// Rebuild: each customer's units per SKU of a lost partition, as SQL's ledger sums them. Written whole (zeros
    /// too, so a counter that survived stale is reset); the partition sells no unit until its marker is back. Only
    /// while <paramref name="owner"/> holds the rebuild lock and the partition is unmarked: false (nothing written)
    /// once another instance took over, whose partition may already sell and move the counters.
    /// </summary>
    public async Task<bool> RestoreCustomerTakenAsync(int partition, string owner, string customerId, IReadOnlyList<(string Sku, long Taken)> taken)
    {
        foreach (var chunk in taken.Chunk(300))
        {
            var args = new RedisValue[1 + (2 * chunk.Length)];
            args[0] = owner;
            for (var i = 0; i < chunk.Length; i++)
            {
                args[1 + (2 * i)] = chunk[i].Sku;
                args[2 + (2 * i)] = chunk[i].Taken;
            }

            if ((long)await Db.ScriptEvaluateAsync(RedisScripts.RestoreCustomer,
                [_keys.RebuildLock(partition), _keys.Marker(partition), _keys.CustomerTaken(partition, customerId)], args).ConfigureAwait(false) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <param name="lines">The order's lines in this partition with the stock right after each was deducted.</param>
    /// <param name="restocked">For a cancelled order, the lines with the stock right after each was restocked.</param>
    /// <param name="returned">Units of each SKU that returns restocked since the deduction.</param>
    /// <param name="customerId">The order's customer, whose allowance a later cancel or return gives back.</param>
    /// <param name="returns">Each return id that restocked here with its result here (<c>R:&lt;returnId&gt;</c>), so
    /// return_apply.lua replays a return rolled forward after the rebuild instead of restocking it again.</param>
    public Task RestoreRecordAsync(int partition, string orderId, bool cancelled, IReadOnlyList<(OrderLine Line, long After)> lines, IReadOnlyList<(OrderLine Line, long After)> restocked,
        IReadOnlyList<OrderLine>? returned = null, string? customerId = null, IReadOnlyList<(string ReturnId, string Result)>? returns = null) =>
        Db.ScriptEvaluateAsync(RedisScripts.RestoreRecord, [_keys.Record(partition, orderId)],
        [
            cancelled ? "cancelled" : "deducted",
            Order.FingerprintOf(lines.Select(l => l.Line), customerId),
            string.Join(',', lines.Select(l => $"{l.Line.Sku} {l.Line.Quantity} {l.After}")),
            string.Join(',', restocked.Select(l => $"{l.Line.Sku} {l.Line.Quantity} {l.After}")),
            options.TtlSeconds,
            Order.Encode(returned ?? []),
            customerId ?? "",
            .. (returns ?? []).SelectMany(r => new RedisValue[] { r.ReturnId, r.Result }),
        ]);

    /// <summary>Puts back one partition's part of a reservation SQL shows still held: its record, and its units in held.</summary>
    /// <param name="lines">The reservation's lines in this partition with the stock right after each was held.</param>
    public Task RestoreHoldRecordAsync(int partition, string reservationId, long attempt, IReadOnlyList<(OrderLine Line, long After)> lines, string customerId) =>
        Db.ScriptEvaluateAsync(RedisScripts.RestoreHold, [_keys.HoldRecord(partition, reservationId), _keys.Held(partition)],
        [
            attempt, Order.Encode(lines.Select(l => l.Line)), string.Join(',', lines.Select(l => $"{l.Line.Sku} {l.Line.Quantity} {l.After}")),
            customerId, HoldLimits.MaxTtlSeconds + options.TtlSeconds,
        ]);

    /// <summary>Puts back a reservation SQL shows still held on its home, and schedules its expiry.</summary>
    /// <param name="lines">All its lines (every partition) with the stock right after each was held: its answer.</param>
    /// <param name="orderId">Non-empty: a commit to this order converted some partitions and stopped; the home comes
    /// back committing, due at once, so the expiry loop rolls the commit forward.</param>
    public Task RestoreHoldHomeAsync(int home, string reservationId, int[] partitions, long expiresAt, long attempt, string customerId, IReadOnlyList<(OrderLine Line, long After)> lines,
        string orderId = "")
    {
        var plain = lines.Select(l => l.Line).ToList();
        return Db.ScriptEvaluateAsync(RedisScripts.RestoreHoldHome, [_keys.Hold(home, reservationId), _keys.HoldExpiry(home)],
        [
            reservationId, Order.FingerprintOf(plain, customerId.Length == 0 ? null : customerId), Order.Encode(plain),
            string.Join(' ', partitions), expiresAt, attempt, customerId, string.Join(',', lines.Select(l => $"{l.Line.Sku} {l.Line.Quantity} {l.After}")),
            HoldLimits.MaxTtlSeconds + options.TtlSeconds, orderId,
        ]);
    }

    /// <summary>Takes or renews the partition's rebuild lock for <paramref name="owner"/>; false while another instance holds it.</summary>
    public async Task<bool> TryLockRebuildAsync(int partition, string owner, TimeSpan ttl, string progress) =>
        (long)await Db.ScriptEvaluateAsync(RedisScripts.RebuildLock, [_keys.RebuildLock(partition)],
            [owner, (long)ttl.TotalMilliseconds, progress]).ConfigureAwait(false) == 1;

    /// <summary>Who rebuilds the partition and how far, as the holder last published it; null when nobody does.</summary>
    public async Task<(string Owner, string Progress)?> RebuildHolderAsync(int partition)
    {
        var fields = await Db.HashGetAsync(_keys.RebuildLock(partition), ["owner", "progress"]).ConfigureAwait(false);
        return fields[0].IsNull ? null : ((string)fields[0]!, (string?)fields[1] ?? "");
    }

    /// <summary>Writes the marker and releases the lock if <paramref name="owner"/> still holds it.</summary>
    public async Task<bool> MarkRebuiltAsync(int partition, string owner) =>
        (long)await Db.ScriptEvaluateAsync(RedisScripts.RebuildDone, [_keys.RebuildLock(partition), _keys.Marker(partition)],
            [owner, Guid.NewGuid().ToString("N")]).ConfigureAwait(false) == 1;

    /// <summary>A bitmap sized for one home partition's seen filter, to fill in memory with <see cref="SetSeen"/>.</summary>
    public byte[] NewSeenBitmap() => new byte[(options.SeenFilterBits + 7) / 8];

    /// <summary>Sets an order id's bits in a bitmap laid out as Redis lays out SETBIT offsets (bit 0 is the top bit of byte 0).</summary>
    public void SetSeen(byte[] bitmap, string orderId)
    {
        Span<long> offsets = stackalloc long[SeenFilter.Hashes];
        _seen.Fill(orderId, offsets);
        foreach (var bit in offsets)
        {
            bitmap[bit >> 3] |= (byte)(0x80 >> (int)(bit & 7));
        }
    }

    /// <summary>OR-s a bitmap built by <see cref="SetSeen"/> into the home partition's live seen filter.</summary>
    public async Task MergeSeenAsync(int home, byte[] bitmap)
    {
        await Db.StringSetAsync(_keys.SeenStaging(home), bitmap).ConfigureAwait(false);
        await Db.ScriptEvaluateAsync(RedisScripts.SeenMerge, [_keys.Seen(home), _keys.SeenStaging(home)]).ConfigureAwait(false);
    }

    /// <summary>
    /// Rebuild: cancels SQL shows decided but not restocked everywhere, back in their lost home's open cancels, so the
    /// recovery sweep finishes them (their claims come back from SQL when it drives them).
    /// </summary>
    public Task ReopenCancelsAsync(int home, IEnumerable<string> orderIds)
    {
        var entries = orderIds.Select(id => new SortedSetEntry(id, 0)).ToArray();
        return entries.Length == 0 ? Task.CompletedTask : Db.SortedSetAddAsync(_keys.OpenCancels(home), entries, SortedSetWhen.NotExists);
    }

    /// <summary>Puts back an order's finished returns, so a retried return id replays rather than restocks again.</summary>
    public Task RestoreReturnsAsync(int home, string orderId, IReadOnlyList<ReturnView> returns) =>
        Task.WhenAll(returns.Select(r =>
        {
            var lines = r.Lines.Select(l => new OrderLine(l.Sku, l.Quantity)).ToList();
            return Db.ScriptEvaluateAsync(RedisScripts.RestoreReturn, [_keys.Return(home, orderId, r.ReturnId)],
                [Order.FingerprintOf(lines), Order.Encode(lines), string.Join(',', r.Lines.Select(l => $"{l.Sku} {l.Quantity} {l.Remaining}")), options.TtlSeconds]);
        }));

    /// <summary>Refills a lost home partition's seen filter with ids SQL holds, pipelined.</summary>
    public async Task SeeAsync(int home, IEnumerable<string> orderIds)
    {
        var batch = Db.CreateBatch();
        var sent = new List<Task>();
        foreach (var id in orderIds)
        {
            foreach (var offset in _seen.Offsets(id))
            {
                sent.Add(batch.StringSetBitAsync(_keys.Seen(home), (long)offset, true));
            }
        }

        batch.Execute();
        await Task.WhenAll(sent).ConfigureAwait(false);
    }

    public Task<long> JournalLengthAsync(int partition) => Db.StreamLengthAsync(_keys.Journal(partition));

    public async Task<string?> LastJournalIdAsync(int partition)
    {
        var last = await Db.StreamRangeAsync(_keys.Journal(partition), "-", "+", 1, StackExchange.Redis.Order.Descending).ConfigureAwait(false);
        return last.Length == 0 ? null : (string?)last[0].Id;
    }
}
