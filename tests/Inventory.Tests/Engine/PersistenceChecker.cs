using System.Globalization;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Engine;

/// <summary>
/// Compares what Redis decided with what SQL holds: per SKU, stock and last sequence, and a ledger holding
/// exactly the sequences 1..last (the primary key forbids duplicates; count = max = last rules out gaps), and each
/// SKU's per-customer limit.
/// </summary>
public sealed class PersistenceChecker(IConnectionMultiplexer redis, string keyPrefix, int partitions, TestDatabase database)
{
    public sealed record SkuState(long Available, long Sequence);

    public async Task<Dictionary<string, SkuState>> RedisAsync()
    {
        var db = redis.GetDatabase();
        var result = new Dictionary<string, SkuState>(StringComparer.Ordinal);
        for (var p = 0; p < partitions; p++)
        {
            var stock = await db.HashGetAllAsync($"{{{keyPrefix}:{p}}}:stock");
            var seq = (await db.HashGetAllAsync($"{{{keyPrefix}:{p}}}:seq")).ToDictionary(e => (string)e.Name!, e => (long)e.Value);
            foreach (var entry in stock)
            {
                result[(string)entry.Name!] = new SkuState((long)entry.Value, seq.GetValueOrDefault((string)entry.Name!));
            }
        }

        return result;
    }

    /// <summary>SKU → limitPerCustomer of every SKU that has one.</summary>
    public async Task<Dictionary<string, long>> RedisLimitsAsync()
    {
        var db = redis.GetDatabase();
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var p = 0; p < partitions; p++)
        {
            foreach (var entry in await db.HashGetAllAsync($"{{{keyPrefix}:{p}}}:lim"))
            {
                result[(string)entry.Name!] = (long)entry.Value;
            }
        }

        return result;
    }

    public async Task<List<string>> DifferencesAsync(bool ledgerSumsToStock = true)
    {
        var redisState = await RedisAsync();
        var limits = await RedisLimitsAsync();
        var stock = (await database.QueryAsync("select sku, available, last_seq, limit_per_customer from stock",
                r => (Sku: r.GetString(0), Available: r.GetInt64(1), Seq: r.GetInt64(2), Limit: r.IsDBNull(3) ? (long?)null : r.GetInt64(3))))
            .ToDictionary(r => r.Sku, StringComparer.Ordinal);
        var ledger = (await database.QueryAsync("select sku, count(*), max(seq), sum(delta) from ledger group by sku",
            r => (Sku: r.GetString(0), Count: r.GetInt64(1), Max: r.GetInt64(2), Sum: r.GetDecimal(3)))).ToDictionary(r => r.Sku, StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var (sku, state) in redisState)
        {
            if (!stock.TryGetValue(sku, out var row) || row.Available != state.Available || row.Seq != state.Sequence)
            {
                differences.Add($"{sku}: redis {state.Available}@{state.Sequence}, sql {(stock.ContainsKey(sku) ? $"{row.Available}@{row.Seq}" : "missing")}");
            }

            var limit = limits.TryGetValue(sku, out var l0) ? l0 : (long?)null;
            if (stock.ContainsKey(sku) && row.Limit != limit)
            {
                differences.Add($"{sku}: redis limit {limit?.ToString(CultureInfo.InvariantCulture) ?? "none"}, sql {row.Limit?.ToString(CultureInfo.InvariantCulture) ?? "none"}");
            }

            if (!ledger.TryGetValue(sku, out var l) || l.Count != state.Sequence || l.Max != state.Sequence || (ledgerSumsToStock && l.Sum != state.Available))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{sku}: ledger {(ledger.ContainsKey(sku) ? $"{l.Count} rows, max {l.Max}, sum {l.Sum}" : "missing")}, redis seq {state.Sequence} stock {state.Available}"));
            }
        }

        return differences;
    }

    /// <summary>
    /// Each given customer's units per SKU in Redis (<c>cu</c> hashes, zeros dropped) against the ledger's sum of the
    /// rows carrying the customer; the differences, empty when they agree.
    /// </summary>
    public async Task<List<string>> CustomerDifferencesAsync(IReadOnlyCollection<string> customers)
    {
        var db = redis.GetDatabase();
        var inRedis = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var customer in customers)
        {
            for (var p = 0; p < partitions; p++)
            {
                foreach (var entry in await db.HashGetAllAsync($"{{{keyPrefix}:{p}}}:cu:{customer}"))
                {
                    if ((long)entry.Value != 0)
                    {
                        inRedis.Add($"{customer} {(string)entry.Name!} {(long)entry.Value}");
                    }
                }
            }
        }

        // Test ids only (letters, digits, '-'): safe to inline.
        var list = string.Join(",", customers.Select(c => $"'{c}'"));
        var inSql = new SortedSet<string>(await database.QueryAsync(
            $"select customer_id, sku, -sum(delta) from ledger where customer_id in ({list}) group by customer_id, sku having sum(delta) <> 0",
            r => string.Create(CultureInfo.InvariantCulture, $"{r.GetString(0)} {r.GetString(1)} {r.GetDecimal(2)}")), StringComparer.Ordinal);
        return inRedis.Except(inSql).Select(d => "redis only: " + d).Concat(inSql.Except(inRedis).Select(d => "sql only: " + d)).ToList();
    }

    /// <summary>
    /// Polls until SQL equals Redis or the bound passes; returns the remaining differences. A test that changes Redis
    /// behind the journal's back (planted drift) turns off the check that the ledger's deltas sum to the stock.
    /// </summary>
    public async Task<List<string>> WaitUntilEqualAsync(TimeSpan bound, bool ledgerSumsToStock = true)
    {
        var deadline = DateTime.UtcNow + bound;
        List<string> differences;
        while ((differences = await DifferencesAsync(ledgerSumsToStock)).Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        return differences;
    }
}
