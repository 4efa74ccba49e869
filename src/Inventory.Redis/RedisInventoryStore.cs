using System.Globalization;
using Inventory.Application;
using Inventory.Domain;
using Inventory.Persistence;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

/// <summary>
/// Stock in Redis: every decision is one Lua script per partition, remembered by order id.
/// The protocol (claims, partition records, fences, recovery) is described in docs/redis-keys.md.
/// </summary>
public sealed partial class RedisInventoryStore : IInventoryStore
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisOptions _options;
    private readonly Partitioner _partitioner;
    private readonly RedisKeys _keys;
    private readonly JournalActivity _activity;
    private readonly TimeProvider _time;
    private readonly ReplicaWaiter _replicas;
    private readonly RedisPartitionGuard _guard;

    public RedisInventoryStore(IConnectionMultiplexer redis, RedisOptions options, Partitioner partitioner, JournalActivity activity, TimeProvider time)
    {
        _redis = redis;
        _options = options;
        _partitioner = partitioner;
        _keys = new RedisKeys(options.KeyPrefix);
        _activity = activity;
        _time = time;
        _replicas = new ReplicaWaiter(redis, options.DurableTimeoutMilliseconds);
        _guard = new RedisPartitionGuard(redis, options);
    }

    /// <summary>Fault injection for the crash tests: the process dies after the first partition of a multi-partition order.</summary>
    public bool CrashAfterFirstPartition { get; init; }

    private IDatabase Db => _redis.GetDatabase();

    public async Task<DeductionOutcome> DeductAsync(Order order, CancellationToken cancellationToken = default)
    {
        if (!order.IsSinglePartition)
        {
            return await DeductAcrossPartitionsAsync(order).ConfigureAwait(false);
        }

        var attempt = SendSingle(Db, order);
        return await CompleteSingleAsync(order, attempt, retries: 1).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<DeductionOutcome>> DeductManyAsync(IReadOnlyList<Order> orders, CancellationToken cancellationToken = default)
    {
        // Single-partition orders go out together: StackExchange.Redis groups a batch per server and writes each
        // group in one go, so the whole batch costs one round trip per server.
        var batch = Db.CreateBatch();
        var attempts = orders.Select(o => o.IsSinglePartition ? SendSingle(batch, o) : null).ToArray();
        batch.Execute();

        var outcomes = new Task<DeductionOutcome>[orders.Count];
        for (var i = 0; i < orders.Count; i++)
        {
            outcomes[i] = attempts[i] is { } attempt
                ? CompleteSingleAsync(orders[i], attempt, retries: 1)
                : DeductAcrossPartitionsAsync(orders[i]);
        }

        return await Task.WhenAll(outcomes).ConfigureAwait(false);
    }

    private sealed record SingleAttempt(string Nonce, int Partition, Task<RedisValue> Claim, Task<RedisResult> Deduct);

    /// <summary>Claim and deduction are written back to back without waiting: one round trip.</summary>
    private SingleAttempt SendSingle(IDatabaseAsync db, Order order)
    {
        var nonce = NewNonce();
        var partition = order.Partitions[0];
        var claim = SendSingleClaim(db, order, nonce);
        var deduct = SendDeduct(db, order, partition, order.Lines, nonce, Deadline());
        return new SingleAttempt(nonce, partition, claim, deduct);
    }

    private async Task<DeductionOutcome> CompleteSingleAsync(Order order, SingleAttempt attempt, int retries)
    {
        var slot = await AwaitSlotAsync(order, attempt.Partition, attempt.Nonce, attempt.Deduct).ConfigureAwait(false);
        var claim = await AwaitClaimAsync(order, attempt.Nonce, attempt.Claim).ConfigureAwait(false);

        if (claim.Status is ClaimStatus.Unknown or ClaimStatus.Tomb or ClaimStatus.Conflict)
        {
            var owned = claim.Status == ClaimStatus.Conflict && await TryTakeOverAsync(order, claim, attempt.Nonce).ConfigureAwait(false);
            if (!owned)
            {
                // The id is someone else's (or cancelled): a deduction this attempt made must not stand.
                if (slot.Status == SlotStatus.Deducted && !await TryVoidAsync(order, attempt.Partition, attempt.Nonce).ConfigureAwait(false))
                {
                    return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
                }

                return DeductionOutcome.Simple(order.OrderId, claim.Status switch
                {
                    ClaimStatus.Tomb => DeductionStatus.Cancelled,
                    ClaimStatus.Conflict => DeductionStatus.Conflict,
                    _ => DeductionStatus.Unknown,
                });
            }
        }

        if (slot.Status is SlotStatus.Fenced or SlotStatus.Expired && retries > 0)
        {
            // Provably not deducted and never will be: a fresh attempt is safe.
            return await CompleteSingleAsync(order, SendSingle(Db, order), retries - 1).ConfigureAwait(false);
        }

        NoteAppended(attempt.Partition, slot);
        if (slot.Status == SlotStatus.Deducted && !await ReplicatedAsync([attempt.Partition]).ConfigureAwait(false))
        {
            return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
        }

        return ToOutcome(order, slot);
    }

    /// <summary>With durable acknowledgements on, true only once a replica of every given partition's primary has the writes.</summary>
    private async Task<bool> ReplicatedAsync(IEnumerable<int> partitions)
    {
        if (!_options.DurableAcknowledgements)
        {
            return true;
        }

        var primaries = partitions.Select(p => _guard.PrimaryOf(_keys.Stock(p))).Distinct().ToList();
        if (primaries.Any(p => p is null))
        {
            return false;
        }

        var acks = await Task.WhenAll(primaries.Select(p => _replicas.WaitAsync(p!))).ConfigureAwait(false);
        return acks.All(a => a);
    }

    private void NoteAppended(int partition, SlotReply slot)
    {
        if (slot.StreamId is { } id)
        {
            _activity.Appended(partition, id);
        }
    }

    private static DeductionOutcome ToOutcome(Order order, SlotReply slot)
    {
        return slot.Status switch
        {
            SlotStatus.Deducted => new DeductionOutcome(order.OrderId, DeductionStatus.Deducted, slot.Lines, slot.Replayed),
            SlotStatus.Insufficient => new DeductionOutcome(order.OrderId, DeductionStatus.Insufficient, [], Short: slot.Short),
            SlotStatus.UnknownSku => new DeductionOutcome(order.OrderId, DeductionStatus.UnknownSku, [], UnknownSkus: slot.UnknownSkus),
            SlotStatus.Conflict => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Conflict),
            SlotStatus.Cancelled => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled),
            SlotStatus.Backlog => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unavailable),
            _ => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown),
        };
    }

    /// <summary>A native SET NX GET: cheaper than a script, and the previous value tells replays from conflicts.</summary>
    private Task<RedisValue> SendSingleClaim(IDatabaseAsync db, Order order, string nonce) =>
        db.StringSetAndGetAsync(_keys.Claim(_partitioner.HomeOf(order.OrderId), order.OrderId), SingleClaim(order, nonce).Format(),
            _options.IdempotencyTtl, keepTtl: false, When.NotExists);

    private static ClaimValue SingleClaim(Order order, string nonce) =>
        new(ClaimValue.Single, nonce, 0, string.Join(' ', order.Partitions), order.Fingerprint, order.EncodedLines);

    private Task<RedisResult> SendMultiClaim(IDatabaseAsync db, Order order, string nonce)
    {
        var home = _partitioner.HomeOf(order.OrderId);
        return db.ScriptEvaluateAsync(RedisScripts.Claim, [_keys.Claim(home, order.OrderId), _keys.Pending(home)],
            [order.OrderId, order.Fingerprint, order.EncodedLines, string.Join(' ', order.Partitions), nonce, _options.TtlSeconds]);
    }

    private Task<RedisResult> SendDeduct(IDatabaseAsync db, Order order, int partition, IReadOnlyList<OrderLine> lines, string nonce, long deadline)
    {
        var args = new RedisValue[6 + (2 * lines.Count)];
        args[0] = order.OrderId;
        args[1] = nonce;
        args[2] = deadline;
        args[3] = _options.TtlSeconds;
        args[4] = Order.FingerprintOf(lines);
        args[5] = _options.JournalLimit;
        for (var i = 0; i < lines.Count; i++)
        {
            args[6 + (2 * i)] = lines[i].Sku;
            args[7 + (2 * i)] = lines[i].Quantity;
        }

        return db.ScriptEvaluateAsync(RedisScripts.Deduct, _keys.PartitionKeys(partition, order.OrderId), args);
    }

    private async Task<SlotReply> AwaitSlotAsync(Order order, int partition, string nonce, Task<RedisResult> deduct)
    {
        try
        {
            return SlotReply.Parse(await deduct.ConfigureAwait(false));
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return await BackCheckAsync(order, partition, nonce).ConfigureAwait(false);
        }
    }

    private async Task<ClaimReply> AwaitClaimAsync(Order order, string nonce, Task<RedisValue> claim)
    {
        try
        {
            return ClaimReply.FromPrevious(await claim.ConfigureAwait(false), order.Fingerprint, nonce);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            // Asking again is safe: if the first SET landed, the claim found is this attempt's own (same nonce).
            try
            {
                return ClaimReply.FromPrevious(await SendSingleClaim(Db, order, nonce).ConfigureAwait(false), order.Fingerprint, nonce);
            }
            catch (Exception again) when (RedisFailures.IsTransient(again))
            {
                return ClaimReply.Unknown;
            }
        }
    }

    /// <summary>
    /// After an unknown outcome: read what the partition decided, and if it decided nothing, fence the attempt so it
    /// can never land later. Only then may the caller retry.
    /// </summary>
    private async Task<SlotReply> BackCheckAsync(Order order, int partition, string nonce)
    {
        try
        {
            var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Fence, [_keys.Record(partition, order.OrderId)], [nonce, _options.TtlSeconds]).ConfigureAwait(false))!;
            var state = (string)reply[0]!;
            if (state == "fenced")
            {
                return new SlotReply(SlotStatus.Fenced, []);
            }

            if (state == "cancelled")
            {
                return new SlotReply(SlotStatus.Cancelled, []);
            }

            var lines = Order.FingerprintOf(order.LinesIn(partition, _partitioner));
            return (string?)reply[1] == lines
                ? new SlotReply(SlotStatus.Deducted, SlotReply.ParseLines((string?)reply[2]))
                : new SlotReply(SlotStatus.Conflict, []);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return SlotReply.Unknown;
        }
    }

    /// <summary>
    /// The id is claimed with other lines. If that claim's attempt provably never deducted (its record is empty and
    /// now fenced), the id is free: take the claim over. Otherwise the id is taken.
    /// </summary>
    private async Task<bool> TryTakeOverAsync(Order order, ClaimReply claim, string nonce)
    {
        if (claim.Raw is null || claim.State is not (ClaimValue.Single or "failed"))
        {
            return false;
        }

        try
        {
            if (claim.State == ClaimValue.Single)
            {
                var theirs = int.Parse(claim.Partitions, CultureInfo.InvariantCulture);
                var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Fence, [_keys.Record(theirs, order.OrderId)], [claim.Nonce, _options.TtlSeconds]).ConfigureAwait(false))!;
                var decidedTheirs = (string)reply[0]! != "fenced" && (string?)reply[1] != order.Fingerprint;
                if (decidedTheirs)
                {
                    return false;
                }
            }

            var home = _partitioner.HomeOf(order.OrderId);
            var taken = await Db.ScriptEvaluateAsync(RedisScripts.Takeover, [_keys.Claim(home, order.OrderId)],
                [claim.Raw, SingleClaim(order, nonce).Format(), _options.TtlSeconds]).ConfigureAwait(false);
            return (int)taken == 1;
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return false;
        }
    }

    /// <summary>Gives back what this attempt deducted in one partition. False if Redis could not confirm it.</summary>
    private async Task<bool> TryVoidAsync(Order order, int partition, string nonce)
    {
        try
        {
            await RevertAsync(order.OrderId, partition, "void", nonce, Order.FingerprintOf(order.LinesIn(partition, _partitioner))).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return false;
        }
    }

    private async Task<RedisResult[]> RevertAsync(string orderId, int partition, string kind, string nonce, string expectedLines, string fromLedger = "")
    {
        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Revert, _keys.PartitionKeys(partition, orderId),
            [orderId, _options.TtlSeconds, kind, nonce, expectedLines, fromLedger]).ConfigureAwait(false))!;
        if ((string?)reply[0] == "lost")
        {
            throw new PartitionLostException(partition);
        }

        if (reply.Length > 2 && (string?)reply[2] is { } streamId)
        {
            _activity.Appended(partition, streamId);
        }

        return reply;
    }

    private long Deadline() => _time.GetUtcNow().ToUnixTimeMilliseconds() + _options.TimeoutMilliseconds;

    private static string NewNonce() => Guid.NewGuid().ToString("N");
}
