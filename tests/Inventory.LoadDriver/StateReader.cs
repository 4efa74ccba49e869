using System.Diagnostics;
using Npgsql;
using StackExchange.Redis;

namespace Inventory.LoadDriver;

/// <summary>
/// One ledger row; <paramref name="AtMs"/> is the change's Redis time (journal_at), 0 where unknown;
/// <paramref name="Reason"/> names the reservation of a <c>commit</c> row and the return id of a <c>return</c> row.
/// </summary>
public sealed record LedgerRow(string Sku, long Seq, string Kind, string Reference, long Delta, long AvailableAfter, long AtMs = 0, string? Reason = null);

/// <summary>A SKU as each store holds it; null where the store has no such SKU. <paramref name="RedisHeld"/>: units held by reservations now.</summary>
public sealed record SkuState(long? RedisAvailable, long RedisSeq, long? SqlAvailable, long? SqlSeq, long LedgerRows, long LedgerMaxSeq, long RedisHeld = 0)
{
    public bool Settled => RedisAvailable == SqlAvailable && RedisSeq == SqlSeq && LedgerRows == RedisSeq && LedgerMaxSeq == RedisSeq;
}

public sealed record SystemState(IReadOnlyDictionary<string, SkuState> Skus, IReadOnlyList<LedgerRow> Ledger, long DeadTasks, long PendingClaims);

/// <summary>
/// Reads what Redis and SQL hold for a run's SKUs: Redis stock and sequence hashes of every partition under the
/// key prefix, SQL stock, ledger and task tables. Knows the key layout of docs/redis-keys.md, nothing else of src.
/// </summary>
public sealed class StateReader : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly string _prefix;
    private readonly int _partitions;
    private readonly string _sql;

    public StateReader(string redisConfiguration, string keyPrefix, int partitions, string sqlConnectionString)
    {
        var config = ConfigurationOptions.Parse(redisConfiguration);
        config.AbortOnConnectFail = false;
        config.ClientName = "fault-checker";
        _redis = ConnectionMultiplexer.Connect(config);
        _prefix = keyPrefix;
        _partitions = partitions;
        _sql = sqlConnectionString;
    }

    /// <summary>
    /// Polls until no multi-partition order is pending and no cancel is unfinished in Redis and SQL holds every SKU exactly as Redis does
    /// (stock, sequence, one ledger row per sequence), or the timeout passes. Returns how long it took, or null.
    /// </summary>
    public async Task<TimeSpan?> WaitForDrainAsync(IReadOnlyCollection<string> skus, TimeSpan timeout, Action<string> log)
    {
        var watch = Stopwatch.StartNew();
        var lastLog = TimeSpan.Zero;
        while (true)
        {
            string? waitingFor;
            try
            {
                var (states, pending) = await ProbeAsync(skus);
                var unsettled = states.Where(s => !s.Value.Settled).ToList();
                waitingFor = pending > 0 ? $"{pending} pending multi-partition orders or unfinished cancels" :
                    unsettled.Count > 0 ? $"{unsettled.Count} SKUs not yet equal in SQL, e.g. {Describe(unsettled[0].Key, unsettled[0].Value)}" : null;
            }
            catch (Exception e) when (e is NpgsqlException or RedisException or TimeoutException)
            {
                waitingFor = $"stores unreachable ({e.GetType().Name}: {e.Message})";
            }

            if (waitingFor is null)
            {
                return watch.Elapsed;
            }

            if (watch.Elapsed > timeout)
            {
                log($"drain: not drained after {timeout.TotalSeconds:0} s: {waitingFor}");
                return null;
            }

            if (watch.Elapsed - lastLog > TimeSpan.FromSeconds(10))
            {
                lastLog = watch.Elapsed;
                log($"drain: waiting for {waitingFor}");
            }

            await Task.Delay(500);
        }
    }

    public async Task<SystemState> ReadAsync(IReadOnlyCollection<string> skus)
    {
        var (states, pending) = await ProbeAsync(skus);
        var ledger = new List<LedgerRow>();
        await using var connection = new NpgsqlConnection(_sql);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand(
            "select sku, seq, kind, reference_id, delta, available_after, (extract(epoch from journal_at) * 1000)::bigint, reason from ledger where sku = any(@skus) order by sku, seq", connection))
        {
            command.Parameters.AddWithValue("skus", skus.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ledger.Add(new LedgerRow(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                    reader.IsDBNull(7) ? null : reader.GetString(7)));
            }
        }

        return new SystemState(states, ledger, await DeadTasksAsync(connection), pending);
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    private static string Describe(string sku, SkuState s) =>
        $"{sku}: redis {s.RedisAvailable?.ToString() ?? "missing"}@{s.RedisSeq}, sql {s.SqlAvailable?.ToString() ?? "missing"}@{s.SqlSeq}, ledger {s.LedgerRows} rows to seq {s.LedgerMaxSeq}";

    private async Task<(Dictionary<string, SkuState> States, long Pending)> ProbeAsync(IReadOnlyCollection<string> skus)
    {
        var db = _redis.GetDatabase();
        var wanted = skus.ToHashSet(StringComparer.Ordinal);
        var redisStock = new Dictionary<string, long>(StringComparer.Ordinal);
        var redisSeq = new Dictionary<string, long>(StringComparer.Ordinal);
        var redisHeld = new Dictionary<string, long>(StringComparer.Ordinal);
        long pending = 0;
        for (var p = 0; p < _partitions; p++)
        {
            var tag = $"{{{_prefix}:{p}}}";
            foreach (var entry in await db.HashGetAllAsync($"{tag}:stock"))
            {
                if (wanted.Contains(entry.Name!))
                {
                    redisStock[entry.Name!] = (long)entry.Value;
                }
            }

            foreach (var entry in await db.HashGetAllAsync($"{tag}:seq"))
            {
                if (wanted.Contains(entry.Name!))
                {
                    redisSeq[entry.Name!] = (long)entry.Value;
                }
            }

            foreach (var entry in await db.HashGetAllAsync($"{tag}:held"))
            {
                if (wanted.Contains(entry.Name!))
                {
                    redisHeld[entry.Name!] = (long)entry.Value;
                }
            }

            pending += await db.SortedSetLengthAsync($"{tag}:pending") + await db.SortedSetLengthAsync($"{tag}:cancels");
        }

        await using var connection = new NpgsqlConnection(_sql);
        await connection.OpenAsync();
        var sqlStock = new Dictionary<string, (long Available, long Seq)>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("select sku, available, last_seq from stock where sku = any(@skus)", connection))
        {
            command.Parameters.AddWithValue("skus", wanted.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                sqlStock[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        var ledger = new Dictionary<string, (long Rows, long MaxSeq)>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("select sku, count(*), max(seq) from ledger where sku = any(@skus) group by sku", connection))
        {
            command.Parameters.AddWithValue("skus", wanted.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ledger[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
            }
        }

        var states = wanted.ToDictionary(sku => sku, sku =>
        {
            var hasSql = sqlStock.TryGetValue(sku, out var sql);
            var rows = ledger.GetValueOrDefault(sku);
            return new SkuState(redisStock.TryGetValue(sku, out var available) ? available : null, redisSeq.GetValueOrDefault(sku),
                hasSql ? sql.Available : null, hasSql ? sql.Seq : null, rows.Rows, rows.MaxSeq, redisHeld.GetValueOrDefault(sku));
        }, StringComparer.Ordinal);
        return (states, pending);
    }

    private static async Task<long> DeadTasksAsync(NpgsqlConnection connection)
    {
        var tables = new List<string>();
        await using (var command = new NpgsqlCommand(
            "select table_name from information_schema.tables where table_schema = current_schema() and table_name ~ '^task_[0-9]+$'", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        if (tables.Count == 0)
        {
            return 0;
        }

        // Table names come from the catalogue and match ^task_[0-9]+$, so quoting them is enough.
        var union = string.Join(" union all ", tables.Select(t => $"select count(*) as n from \"{t}\" where status = 'dead'"));
        await using var count = new NpgsqlCommand($"select coalesce(sum(n), 0)::bigint from ({union}) d", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}
