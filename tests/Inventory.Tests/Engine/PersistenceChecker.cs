using System.Globalization;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Engine;

/// <summary>
/// Compares what Redis decided with what SQL holds: per SKU, stock and last sequence, and a ledger holding
/// exactly the sequences 1..last (the primary key forbids duplicates; count = max = last rules out gaps).
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

    public async Task<List<string>> DifferencesAsync(bool ledgerSumsToStock = true)
    {
        var redisState = await RedisAsync();
        var stock = (await database.QueryAsync("select sku, available, last_seq from stock", r => (Sku: r.GetString(0), Available: r.GetInt64(1), Seq: r.GetInt64(2))))
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

            if (!ledger.TryGetValue(sku, out var l) || l.Count != state.Sequence || l.Max != state.Sequence || (ledgerSumsToStock && l.Sum != state.Available))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{sku}: ledger {(ledger.ContainsKey(sku) ? $"{l.Count} rows, max {l.Max}, sum {l.Sum}" : "missing")}, redis seq {state.Sequence} stock {state.Available}"));
            }
        }

        return differences;
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
