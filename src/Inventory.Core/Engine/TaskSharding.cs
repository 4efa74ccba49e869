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

    // Salted so it is independent of the Redis partition hash (the same FNV-1a + finaliser of the bare SKU):
    // otherwise all SKUs of one partition would share one shard.
    public int OfSku(string sku) => (int)(Mix(Fnv1a("shard/" + sku)) % (uint)Count);

    private static uint Fnv1a(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }

    // FNV-1a's low bits depend only on the inputs' low bits, so without this finaliser (MurmurHash3's) the SKUs
    // of one partition (FNV-1a mod the partition count) would land on only a few shards.
    private static uint Mix(uint hash)
    {
        hash ^= hash >> 16;
        hash *= 0x85ebca6bu;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35u;
        hash ^= hash >> 16;
        return hash;
    }
}
