namespace Inventory.Domain;

/// <summary>
/// Maps SKUs and order ids to a fixed number of partitions. Each partition is one Redis hash tag, so all of a
/// partition's keys share a hash slot and a Lua script may touch them together on a cluster.
/// </summary>
public sealed class Partitioner
{
    public Partitioner(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 1024);
        Count = count;
    }

    public int Count { get; }

    public int PartitionOf(string sku) => (int)(Hash(sku) % (uint)Count);

    /// <summary>The order's home partition holds its claim: where GET and cancel find it by id alone.</summary>
    public int HomeOf(string orderId) => (int)(Hash("order/" + orderId) % (uint)Count);

    /// <summary>
    /// FNV-1a (stable across processes and platforms, unlike string.GetHashCode), then MurmurHash3's finaliser:
    /// FNV alone modulo a power of two depends only on the low bits of each character.
    /// </summary>
    private static uint Hash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash ^= c;
            hash *= 16777619u;
        }

        hash ^= hash >> 16;
        hash *= 0x85ebca6bu;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35u;
        hash ^= hash >> 16;
        return hash;
    }
}
