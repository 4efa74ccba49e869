using System.Globalization;
using Inventory.Application;
using Inventory.Domain;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

public sealed partial class RedisInventoryStore
{
    public async Task<IReadOnlyList<StockLevel?>> GetStockAsync(IReadOnlyList<string> skus, CancellationToken cancellationToken = default)
    {
        var byPartition = skus.Distinct(StringComparer.Ordinal).GroupBy(_partitioner.PartitionOf).ToList();
        // Stock, held units and limits of a partition share its slot: the reads go out together, one round trip per server.
        var reads = byPartition.Select(g => Db.HashGetAsync(_keys.Stock(g.Key), g.Select(s => (RedisValue)s).ToArray())).ToList();
        var limitReads = byPartition.Select(g => Db.HashGetAsync(_keys.Limits(g.Key), g.Select(s => (RedisValue)s).ToArray())).ToList();
        var heldReads = byPartition.Select(g => Db.HashGetAsync(_keys.Held(g.Key), g.Select(s => (RedisValue)s).ToArray())).ToList();
        var values = await Task.WhenAll(reads).ConfigureAwait(false);
        var limits = await Task.WhenAll(limitReads).ConfigureAwait(false);
        var held = await Task.WhenAll(heldReads).ConfigureAwait(false);

        var found = new Dictionary<string, StockLevel>(StringComparer.Ordinal);
        for (var i = 0; i < byPartition.Count; i++)
        {
            var group = byPartition[i].ToList();
            for (var j = 0; j < group.Count; j++)
            {
                if (!values[i][j].IsNull)
                {
                    found[group[j]] = new StockLevel(group[j], (long)values[i][j], held[i][j].IsNull ? 0 : (long)held[i][j], limits[i][j].IsNull ? null : (long)limits[i][j]);
                }
            }
        }

        return skus.Select(s => found.GetValueOrDefault(s)).ToList();
    }

    public async Task<StockChange> SetStockAsync(string sku, long available, long? expectedAvailable, long? limitPerCustomer = null, CancellationToken cancellationToken = default)
    {
        var partition = _partitioner.PartitionOf(sku);
        RedisResult[] reply;
        try
        {
            reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.SetStock,
                [_keys.Stock(partition), _keys.Sequences(partition), _keys.Journal(partition), _keys.Marker(partition), _keys.Limits(partition)],
                [sku, available, expectedAvailable.HasValue ? expectedAvailable.Value : "", limitPerCustomer.HasValue ? limitPerCustomer.Value : ""]).ConfigureAwait(false))!;
        }
        catch (Exception e) when (Refusals.NoteIfRefused(e))
        {
            throw; // never reached: the filter only notes the refusal; the host's DependencyFailures names it
        }

        if ((string)reply[0]! == "lost")
        {
            return new StockChange(StockChangeStatus.Unavailable, sku, 0);
        }

        NoteJournalId(partition, reply, 2);
        await EnsureReplicatedAsync([partition]).ConfigureAwait(false);
        var level = long.Parse((string)reply[1]!, CultureInfo.InvariantCulture);
        var applied = (string)reply[0]! == "applied";
        return new StockChange(applied ? StockChangeStatus.Applied : StockChangeStatus.Rejected, sku, level, LimitPerCustomer: applied ? limitPerCustomer : null);
    }

    public async Task<StockChange> AdjustAsync(string sku, string adjustmentId, long delta, string reason, CancellationToken cancellationToken = default)
    {
        var partition = _partitioner.PartitionOf(sku);
        RedisResult[] reply;
        try
        {
            reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Adjust,
                [_keys.Stock(partition), _keys.Sequences(partition), _keys.Journal(partition), _keys.Adjustment(partition, sku, adjustmentId), _keys.Marker(partition)],
                [sku, adjustmentId, delta, reason, _options.TtlSeconds, Limits.MaxStock]).ConfigureAwait(false))!;
        }
        catch (Exception e) when (Refusals.NoteIfRefused(e))
        {
            throw; // never reached: the filter only notes the refusal; the host's DependencyFailures names it
        }

        NoteJournalId(partition, reply, 2);
        if ((string)reply[0]! is "applied" or "replayed")
        {
            await EnsureReplicatedAsync([partition]).ConfigureAwait(false);
        }

        long Level() => long.Parse((string)reply[1]!, CultureInfo.InvariantCulture);
        return (string)reply[0]! switch
        {
            "applied" => new StockChange(StockChangeStatus.Applied, sku, Level()),
            "replayed" => new StockChange(StockChangeStatus.Applied, sku, Level(), Replayed: true),
            "rejected" => new StockChange(StockChangeStatus.Rejected, sku, Level()),
            "unknown" => new StockChange(StockChangeStatus.UnknownSku, sku, 0),
            "lost" => new StockChange(StockChangeStatus.Unavailable, sku, 0),
            _ => new StockChange(StockChangeStatus.Conflict, sku, 0),
        };
    }

    public async Task<DependencyHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await Db.PingAsync().ConfigureAwait(false);
            return new DependencyHealth("redis", true, $"ping {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return new DependencyHealth("redis", false, e.GetType().Name);
        }
    }

    private void NoteJournalId(int partition, RedisResult[] reply, int index)
    {
        if (reply.Length > index && (string?)reply[index] is { } streamId)
        {
            _activity.Appended(partition, streamId);
        }
    }
}
