using StackExchange.Redis;

namespace Inventory.Redis;

/// <summary>
/// Every key of a partition carries the same hash tag, so a script may touch all of them on a cluster.
/// Layout: docs/redis-keys.md.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public string Tag(int partition) => $"{{{prefix}:{partition}}}";

    public RedisKey Stock(int partition) => Tag(partition) + ":stock";

    public RedisKey Sequences(int partition) => Tag(partition) + ":seq";

    public RedisKey Journal(int partition) => Tag(partition) + ":journal";

    /// <summary>What one partition decided for an order: deducted, fenced or cancelled, at an epoch.</summary>
    public RedisKey Record(int partition, string orderId) => Tag(partition) + ":o:" + orderId;

    /// <summary>The order's claim in its home partition: state, epoch, lines, partitions.</summary>
    public RedisKey Claim(int home, string orderId) => Tag(home) + ":c:" + orderId;

    /// <summary>Bloom filter of every order id ever claimed or cancelled with this home partition.</summary>
    public RedisKey Seen(int home) => Tag(home) + ":seen";

    /// <summary>Multi-partition orders in flight, scored by attempt start, for the recovery sweep.</summary>
    public RedisKey Pending(int home) => Tag(home) + ":pending";

    /// <summary>A return of an order, beside the order's claim: its lines, state (open, done, cancelled) and answer.</summary>
    public RedisKey Return(int home, string orderId, string returnId) => Tag(home) + ":rn:" + orderId + ":" + returnId;

    /// <summary>Returns reserved on the claim but not yet finished, scored by start, for the recovery sweep.</summary>
    public RedisKey OpenReturns(int home) => Tag(home) + ":returns";

    public RedisKey Adjustment(int partition, string sku, string adjustmentId) => Tag(partition) + ":a:" + sku + ":" + adjustmentId;

    public RedisKey Reconciled(int partition, string sku, long sequence) => Tag(partition) + ":r:" + sku + ":" + sequence;

    /// <summary>Present while the partition's data is intact; written at first start and after a rebuild.</summary>
    public RedisKey Marker(int partition) => Tag(partition) + ":marker";

    /// <summary>Held by the one instance rebuilding this partition after a loss (owner, progress).</summary>
    public RedisKey RebuildLock(int partition) => Tag(partition) + ":rebuild";

    /// <summary>A rebuilt seen filter staged before it is OR-ed into the live one.</summary>
    public RedisKey SeenStaging(int home) => Tag(home) + ":seen:refill";

    public RedisKey[] PartitionKeys(int partition, string orderId) =>
        [Stock(partition), Sequences(partition), Journal(partition), Record(partition, orderId), Marker(partition)];
}
