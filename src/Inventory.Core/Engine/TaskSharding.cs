namespace Inventory.Engine;

/// <summary>
/// Which task table a task lives in. Persist parents shard by journal partition and apply children by SKU, so a
/// hot SKU keeps one shard busy and never the others. Both are pure functions of the dedupe key's subject, which
/// is what lets a per-table unique index dedupe across the whole engine.
/// </summary>
public sealed class TaskSharding
{
    public TaskSharding(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 100);
        Count = count;
    }

    public int Count { get; }

    public int OfPartition(int partition) => partition % Count;

    // Salted so that with as many shards as partitions a partition's SKUs still spread over all shards.
    public int OfSku(string sku) => (int)(Fnv1a("shard/", sku) % (uint)Count);

    private static uint Fnv1a(string salt, string value)
    {
        var hash = 2166136261u;
        foreach (var c in salt)
        {
            hash = (hash ^ c) * 16777619u;
        }

        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
