using Inventory.Domain;

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

    // Salted so it is independent of the Redis partition hash (the same hash of the bare SKU):
    // otherwise all SKUs of one partition would share one shard.
    public int OfSku(string sku) => (int)(StableHash.Of("shard/" + sku) % (uint)Count);
}
