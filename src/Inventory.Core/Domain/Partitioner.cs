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

    public int PartitionOf(string sku) => (int)(StableHash.Of(sku) % (uint)Count);

    /// <summary>The order's home partition holds its claim: where GET and cancel find it by id alone.</summary>
    public int HomeOf(string orderId) => (int)(StableHash.Of("order/" + orderId) % (uint)Count);

    /// <summary>A reservation's home: its own namespace, so a reservation id may spell the same as an order id.</summary>
    public int HoldHomeOf(string reservationId) => (int)(StableHash.Of("hold/" + reservationId) % (uint)Count);
}
