using StackExchange.Redis;

namespace Inventory.Redis;

/// <summary>
/// Every key of a partition carries the same hash tag, so a script may touch all of them on a cluster.
/// Layout: docs/redis-keys.md.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    /// <summary>Each partition's fixed key names, built once (partitions are at most 1024): every order uses several.</summary>
    private readonly Fixed?[] _fixed = new Fixed?[1024];

    public string Tag(int partition) => For(partition).Tag;

    public RedisKey Stock(int partition) => For(partition).Stock;

    public RedisKey Sequences(int partition) => For(partition).Sequences;

    public RedisKey Journal(int partition) => For(partition).Journal;

    /// <summary>SKU → limitPerCustomer of the partition's SKUs that have one.</summary>
    public RedisKey Limits(int partition) => For(partition).Limits;

    /// <summary>SKU → units a customer has taken; deduct.lua and friends derive the same name from the stock key's tag.</summary>
    public RedisKey CustomerTaken(int partition, string customerId) => Tag(partition) + ":cu:" + customerId;

    /// <summary>What one partition decided for an order: deducted, fenced or cancelled, at an epoch.</summary>
    public RedisKey Record(int partition, string orderId) => Tag(partition) + ":o:" + orderId;

    /// <summary>The order's claim in its home partition: state, epoch, lines, partitions.</summary>
    public RedisKey Claim(int home, string orderId) => Tag(home) + ":c:" + orderId;

    /// <summary>Bloom filter of every order id ever claimed or cancelled with this home partition.</summary>
    public RedisKey Seen(int home) => For(home).Seen;

    /// <summary>Multi-partition orders in flight, scored by attempt start, for the recovery sweep.</summary>
    public RedisKey Pending(int home) => For(home).Pending;

    /// <summary>A return of an order, beside the order's claim: its lines, state (open, done, cancelled) and answer.</summary>
    // The order id's length first: ids may hold ':', and order "a:b" with return "c" must not meet order "a" with return "b:c".
    public RedisKey Return(int home, string orderId, string returnId) => Tag(home) + ":rn:" + orderId.Length + ":" + orderId + ":" + returnId;

    /// <summary>Returns reserved on the claim but not yet finished, scored by start, for the recovery sweep.</summary>
    public RedisKey OpenReturns(int home) => Tag(home) + ":returns";

    /// <summary>Cancels decided on a claim whose partitions have not all answered yet; the recovery sweep finishes them.</summary>
    public RedisKey OpenCancels(int home) => Tag(home) + ":cancels";

    /// <summary>A reservation on its home partition: state, lines, partitions, expiresAt, customer, answers.</summary>
    public RedisKey Hold(int home, string reservationId) => Tag(home) + ":h:" + reservationId;

    /// <summary>Reservations not final, scored by expiresAt (or by a retry time while between states): the expiry loop's list.</summary>
    public RedisKey HoldExpiry(int home) => Tag(home) + ":expiry";

    /// <summary>A reservation's lines in one partition: held, committed, released or expired, at an attempt.</summary>
    public RedisKey HoldRecord(int partition, string reservationId) => Tag(partition) + ":hr:" + reservationId;

    /// <summary>SKU to units held now in this partition ("reserved").</summary>
    public RedisKey Held(int partition) => Tag(partition) + ":held";

    public RedisKey Adjustment(int partition, string sku, string adjustmentId) => Tag(partition) + ":a:" + sku + ":" + adjustmentId;

    public RedisKey Reconciled(int partition, string sku, long sequence) => Tag(partition) + ":r:" + sku + ":" + sequence;

    /// <summary>Present while the partition's data is intact; written at first start and after a rebuild.</summary>
    public RedisKey Marker(int partition) => For(partition).Marker;

    /// <summary>Held by the one instance rebuilding this partition after a loss (owner, progress).</summary>
    public RedisKey RebuildLock(int partition) => Tag(partition) + ":rebuild";

    /// <summary>A rebuilt seen filter staged before it is OR-ed into the live one.</summary>
    public RedisKey SeenStaging(int home) => Tag(home) + ":seen:refill";

    public RedisKey[] PartitionKeys(int partition, string orderId)
    {
        var keys = For(partition);
        return [keys.Stock, keys.Sequences, keys.Journal, keys.Tag + ":o:" + orderId, keys.Marker];
    }

    // A race builds the same names twice; either copy is right.
    private Fixed For(int partition) => _fixed[partition] ??= new Fixed($"{{{prefix}:{partition}}}");

    private sealed class Fixed(string tag)
    {
        public readonly string Tag = tag;
        public readonly string Stock = tag + ":stock";
        public readonly string Sequences = tag + ":seq";
        public readonly string Journal = tag + ":journal";
        public readonly string Limits = tag + ":lim";
        public readonly string Seen = tag + ":seen";
        public readonly string Pending = tag + ":pending";
        public readonly string Marker = tag + ":marker";
    }
}
