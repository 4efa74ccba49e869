using System.Globalization;
using Inventory.Application;
using StackExchange.Redis;

namespace Inventory.Redis;

public sealed partial class RedisInventoryStore : IStockSnapshots
{
    public async Task<IReadOnlyList<SkuPoint>> SnapshotAsync(int partition, CancellationToken cancellationToken = default)
    {
        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Snapshot, [_keys.Stock(partition), _keys.Sequences(partition)]).ConfigureAwait(false))!;
        var stock = Pairs((RedisResult[])reply[0]!);
        var sequences = Pairs((RedisResult[])reply[1]!);
        return stock.Select(s => new SkuPoint(s.Key, s.Value, sequences.GetValueOrDefault(s.Key))).ToList();
    }

    public async Task<long> RepairAsync(string sku, long driftSequence, long delta, long sqlLastSequence, CancellationToken cancellationToken = default)
    {
        var partition = _partitioner.PartitionOf(sku);
        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Reconcile,
            [_keys.Stock(partition), _keys.Sequences(partition), _keys.Journal(partition), _keys.Reconciled(partition, sku, driftSequence)],
            [sku, driftSequence, delta, sqlLastSequence, _options.TtlSeconds]).ConfigureAwait(false))!;
        NoteJournalId(partition, reply, 2);
        return long.Parse((string)reply[1]!, CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, long> Pairs(RedisResult[] flat)
    {
        var pairs = new Dictionary<string, long>(flat.Length / 2, StringComparer.Ordinal);
        for (var i = 0; i + 1 < flat.Length; i += 2)
        {
            pairs[(string)flat[i]!] = long.Parse((string)flat[i + 1]!, CultureInfo.InvariantCulture);
        }

        return pairs;
    }
}
