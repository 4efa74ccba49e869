using Inventory.Application;
using Inventory.Domain;
using Inventory.Persistence;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

/// <summary>
/// Stock in Redis: an order is first claimed in its id's home partition, then deducted by one Lua script per
/// partition at the claim's epoch, remembered by order id. Redis forgets after the idempotency TTL; the seen filter
/// then sends the id to SQL's ledger. The protocol and why it holds: docs/redis-keys.md.
/// </summary>
public sealed partial class RedisInventoryStore : IInventoryStore
{
    /// <summary>Claim rounds per request: a rebind, a restore from SQL or a reopen each take one more.</summary>
    private const int MaxRounds = 4;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisOptions _options;
    private readonly Partitioner _partitioner;
    private readonly RedisKeys _keys;
    private readonly JournalActivity _activity;
    private readonly TimeProvider _time;
    private readonly ReplicaWaiter _replicas;
    private readonly RedisPartitionGuard _guard;
    private readonly SeenFilter _seen;
    private readonly IOrderLedger _ledger;

    public RedisInventoryStore(IConnectionMultiplexer redis, RedisOptions options, Partitioner partitioner, JournalActivity activity, TimeProvider time, IOrderLedger? ledger = null)
    {
        _redis = redis;
        _options = options;
        _partitioner = partitioner;
        _keys = new RedisKeys(options.KeyPrefix);
        _activity = activity;
        _time = time;
        _replicas = new ReplicaWaiter(redis, options.DurableTimeoutMilliseconds);
        _guard = new RedisPartitionGuard(redis, options);
        _seen = new SeenFilter(options.SeenFilterBits);
        _ledger = ledger ?? new NoOrderLedger();
        Refusals = new RedisRefusalLog(time);
    }

    /// <summary>The latest outright refusal (OOM, READONLY, ...) any call met: health reports it.</summary>
    public RedisRefusalLog Refusals { get; }

    /// <summary>Fault injection for the crash tests: the process dies after the first partition of a multi-partition order.</summary>
    public bool CrashAfterFirstPartition { get; init; }

    private IDatabase Db => _redis.GetDatabase();

    public async Task<DeductionOutcome> DeductAsync(Order order, CancellationToken cancellationToken = default) =>
        await DurableAsync(order, await (order.IsSinglePartition ? DeductSingleAsync(order, null) : DeductAcrossPartitionsAsync(order)).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>Claim, then deduct at the claim's epoch; the partition's record is the order's decision.</summary>
    private async Task<DeductionOutcome> DeductSingleAsync(Order order, ClaimReply? claimed)
    {
        for (var round = 0; round < MaxRounds; round++)
        {
            var claim = claimed ?? await AwaitClaimAsync(Resending(SendClaim(Db, order, "new"), () => SendClaim(Db, order, "new")), 0).ConfigureAwait(false);
            claimed = null;
            var step = await ResolveClaimAsync(order, claim).ConfigureAwait(false);
            if (step.Outcome is { } decided)
            {
                return decided;
            }

            var slot = await AwaitSlotAsync(SendSingleDeduct(Db, order, step.Epoch), 0).ConfigureAwait(false);
            if (await DecideSingleAsync(order, step.Epoch, slot).ConfigureAwait(false) is { } outcome)
            {
                return outcome;
            }
        }

        return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
    }

    /// <summary>
    /// The order's answer from its partition's reply, or null when the attempt must claim again: a fence (the claim
    /// moved on) or a deduction that ran past its deadline decided nothing.
    /// </summary>
    private async Task<DeductionOutcome?> DecideSingleAsync(Order order, long epoch, SlotReply slot)
    {
        if (slot.Status is not (SlotStatus.Fenced or SlotStatus.Expired))
        {
            return await FinishSingleAsync(order, slot).ConfigureAwait(false);
        }

        if (slot.Status == SlotStatus.Fenced)
        {
            await ReopenAsync(order, epoch).ConfigureAwait(false);
        }

        return null;
    }

    /// <summary>
    /// A fence at the claim's own epoch in the only partition (left by other lines that timed out before they
    /// rebound) proves nothing was deducted there: move the same lines to the next epoch, or the id stays stuck.
    /// </summary>
    private async Task ReopenAsync(Order order, long epoch)
    {
        try
        {
            await SendRebind(order, new ClaimReply(ClaimStatus.Rebind, epoch, order.Fingerprint)).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            // the next claim round decides
        }
    }

    /// <summary>
    /// With durable acknowledgements on, a deduction is answered 200 only once a replica of every primary involved
    /// (stock partitions and the claim's home) has the writes; otherwise 503 unknown, and the order stands.
    /// </summary>
    private async Task<DeductionOutcome> DurableAsync(Order order, DeductionOutcome outcome)
    {
        if (outcome.Status != DeductionStatus.Deducted || !_options.DurableAcknowledgements)
        {
            return outcome;
        }

        return await ReplicatedAsync(order.Partitions.Append(_partitioner.HomeOf(order.OrderId))).ConfigureAwait(false)
            ? outcome
            : DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
    }

    /// <summary>
    /// Durable acknowledgements for stock writes: an answer only once a replica has them. Otherwise the change
    /// stands but may be lost to a failover, so the caller gets a timeout (503, retry: sets and adjustments are
    /// idempotent), never a 200.
    /// </summary>
    private async Task EnsureReplicatedAsync(IEnumerable<int> partitions)
    {
        if (_options.DurableAcknowledgements && !await ReplicatedAsync(partitions).ConfigureAwait(false))
        {
            throw new TimeoutException("No replica confirmed the change in time (durable acknowledgements); it stands, retry to confirm it.");
        }
    }

    private async Task<DeductionOutcome> DurableAfterAsync(Order order, Task<DeductionOutcome> outcome) =>
        await DurableAsync(order, await outcome.ConfigureAwait(false)).ConfigureAwait(false);

    private async Task<DeductionOutcome> FinishSingleAsync(Order order, SlotReply slot)
    {
        NoteAppended(order.Partitions[0], slot);
        return slot.Status == SlotStatus.Unknown
            ? await ReadDecidedAsync(order).ConfigureAwait(false) ?? DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown)
            : ToOutcome(order, slot);
    }

    private readonly record struct ClaimStep(long Epoch, DeductionOutcome? Outcome);

    /// <summary>
    /// Turns a claim's answer into either an epoch to deduct at or the request's final answer: fences and rebinds an
    /// id held open by other lines, and asks SQL about an id the seen filter knows but Redis forgot.
    /// </summary>
    private async Task<ClaimStep> ResolveClaimAsync(Order order, ClaimReply claim)
    {
        ClaimStep Done(DeductionStatus status) => new(0, DeductionOutcome.Simple(order.OrderId, status));
        for (var round = 0; round < MaxRounds; round++)
        {
            switch (claim.Status)
            {
                case ClaimStatus.Go:
                    return new ClaimStep(claim.Epoch, null);
                case ClaimStatus.Deducted:
                    return new ClaimStep(0, await ReplayAsync(order, claim.Restored).ConfigureAwait(false));
                case ClaimStatus.Cancelled:
                    return Done(DeductionStatus.Cancelled);
                case ClaimStatus.Conflict:
                    return Done(DeductionStatus.Conflict);
                case ClaimStatus.Lost:
                    return new ClaimStep(0, DeductionOutcome.Unavailable(order.OrderId, UnavailableCauses.Rebuilding, UnavailableCauses.RebuildRetry));
                case ClaimStatus.Refused:
                    // The claim script never ran: nothing is claimed or deducted under this id.
                    return new ClaimStep(0, DeductionOutcome.Unavailable(order.OrderId, claim.Refusal!.Cause, claim.Refusal.RetryAfter));
                case ClaimStatus.Busy:
                    return Done(DeductionStatus.Unknown);
                case ClaimStatus.Unknown:
                    return new ClaimStep(0, await ReadDecidedAsync(order).ConfigureAwait(false) ?? DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown));
                case ClaimStatus.Seen:
                    var remembered = await RememberAsync(order.OrderId).ConfigureAwait(false);
                    if (remembered.Known is not { } known)
                    {
                        return new ClaimStep(0, DeductionOutcome.Unavailable(order.OrderId, remembered.Cause, remembered.RetryAfter));
                    }

                    claim = await AwaitClaimAsync(SendClaim(Db, order, known ? "new" : "force"), 0).ConfigureAwait(false);
                    break;
                case ClaimStatus.Rebind:
                    var fenced = await FenceAsync(order.OrderId, claim.Partitions!, claim.Epoch).ConfigureAwait(false);
                    if (fenced is not null)
                    {
                        return Done(fenced.Value);
                    }

                    claim = await AwaitClaimAsync(SendRebind(order, claim), null).ConfigureAwait(false);
                    if (claim.Status == ClaimStatus.Unknown)
                    {
                        // moved under us (or no answer): ask the claim again
                        claim = await AwaitClaimAsync(SendClaim(Db, order, "new"), 0).ConfigureAwait(false);
                    }

                    break;
            }
        }

        return Done(DeductionStatus.Unknown);
    }

    /// <param name="Known">True: SQL holds the order and its claim is back (claim again and meet it); false: SQL never
    /// saw it (claim as new); null: no answer, for <paramref name="Cause"/>.</param>
    private readonly record struct Remembered(bool? Known, string Cause = "", TimeSpan RetryAfter = default);

    /// <summary>The id is in the seen filter but Redis holds no claim: SQL's ledger decides.</summary>
    private async Task<Remembered> RememberAsync(string orderId)
    {
        OrderView? view;
        try
        {
            view = await _ledger.FindAsync(orderId).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new Remembered(null, UnavailableCauses.LedgerUnavailable, UnavailableCauses.RebuildRetry);
        }

        if (view is null)
        {
            return new Remembered(false);
        }

        try
        {
            await RestoreClaimAsync(view).ConfigureAwait(false);
            return new Remembered(true);
        }
        catch (Exception e) when (RedisFailures.RefusalOf(e) is { } refusal)
        {
            Refusals.Note(refusal);
            return new Remembered(null, refusal.Cause, refusal.RetryAfter);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return new Remembered(null, UnavailableCauses.LedgerUnavailable, UnavailableCauses.RebuildRetry);
        }
    }

    /// <summary>
    /// Puts back what SQL holds of a forgotten order: for a deducted one, each partition's record (with what returns
    /// restocked, so a cancel or return restocks only the rest) and its finished returns (so a retried return id
    /// replays), then the claim last, so no request meets the claim before the rest is in place.
    /// </summary>
    internal async Task RestoreClaimAsync(OrderView view)
    {
        var cancelled = view.State == OrderState.Cancelled;
        var results = (cancelled ? view.Restocked : view.Deducted) ?? view.Lines.Select(l => new LineResult(l.Sku, l.Quantity, 0)).ToList();
        var partitions = view.Lines.Select(l => _partitioner.PartitionOf(l.Sku)).Distinct().Order().ToList();
        var home = _partitioner.HomeOf(view.OrderId);
        var restores = new List<Task>();
        if (!cancelled && view.Deducted is { } deducted)
        {
            foreach (var partition in partitions)
            {
                var here = deducted.Where(l => _partitioner.PartitionOf(l.Sku) == partition).ToList();
                var returned = (view.Returned ?? []).Where(l => _partitioner.PartitionOf(l.Sku) == partition);
                restores.Add(Db.ScriptEvaluateAsync(RedisScripts.RestoreRecord, [_keys.Record(partition, view.OrderId)],
                [
                    "deducted", Order.FingerprintOf(here.Select(l => new OrderLine(l.Sku, l.Quantity)), view.CustomerId), EncodeResults(here), "", _options.TtlSeconds,
                    Order.Encode(returned), view.CustomerId ?? "",
                ]));
            }
        }

        foreach (var done in view.Returns ?? [])
        {
            var lines = done.Lines.Select(l => new OrderLine(l.Sku, l.Quantity)).ToList();
            restores.Add(Db.ScriptEvaluateAsync(RedisScripts.RestoreReturn, [_keys.Return(home, view.OrderId, done.ReturnId)],
                [Order.FingerprintOf(lines), Order.Encode(lines), EncodeResults(done.Lines), _options.TtlSeconds]));
        }

        await Task.WhenAll(restores).ConfigureAwait(false);
        var args = new RedisValue[8 + SeenFilter.Hashes];
        args[0] = cancelled ? "cancelled" : "deducted";
        args[1] = Order.FingerprintOf(view.Lines, view.CustomerId);
        args[2] = Order.Encode(view.Lines);
        args[3] = string.Join(' ', partitions);
        args[4] = EncodeResults(results);
        args[5] = cancelled ? "c" : "1";
        args[6] = _options.TtlSeconds;
        args[7] = Order.Encode(view.Returned ?? []);
        _seen.Fill(view.OrderId, args, 8);
        await Db.ScriptEvaluateAsync(RedisScripts.RestoreClaim, [_keys.Claim(home, view.OrderId), _keys.Seen(home)], args).ConfigureAwait(false);
    }

    /// <summary>
    /// Before other lines take an open id: fence every partition of the old lines at the old epoch. Null when all
    /// are fenced (nothing was deducted and nothing will be); otherwise the answer for this request.
    /// </summary>
    private async Task<DeductionStatus?> FenceAsync(string orderId, int[] partitions, long epoch)
    {
        try
        {
            var replies = await Task.WhenAll(partitions.Select(p => Db.ScriptEvaluateAsync(RedisScripts.Fence,
                [_keys.Record(p, orderId), _keys.Marker(p)], [epoch, _options.TtlSeconds]))).ConfigureAwait(false);
            var states = replies.Select(r => (string?)((RedisResult[])r!)[0]).ToList();
            return states.All(s => s == "fenced") ? null
                : states.Contains("lost") ? DeductionStatus.Unavailable
                : DeductionStatus.Conflict;
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return DeductionStatus.Unknown;
        }
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
            SlotStatus.LimitExceeded => new DeductionOutcome(order.OrderId, DeductionStatus.LimitExceeded, [], OverLimit: slot.OverLimit),
            SlotStatus.UnknownSku => new DeductionOutcome(order.OrderId, DeductionStatus.UnknownSku, [], UnknownSkus: slot.UnknownSkus),
            SlotStatus.Conflict => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Conflict),
            SlotStatus.Cancelled => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled),
            SlotStatus.Backlog or SlotStatus.Refused => Unavailable(order.OrderId, slot),
            _ => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown),
        };
    }

    /// <summary>A partition that refused before changing anything: say why, and when to retry.</summary>
    private static DeductionOutcome Unavailable(string orderId, SlotReply slot) => slot.Refusal is { } refusal
        ? DeductionOutcome.Unavailable(orderId, refusal.Cause, refusal.RetryAfter)
        : slot.Cause == UnavailableCauses.Rebuilding
            ? DeductionOutcome.Unavailable(orderId, UnavailableCauses.Rebuilding, UnavailableCauses.RebuildRetry)
            : DeductionOutcome.Unavailable(orderId, slot.Cause ?? UnavailableCauses.JournalBacklog, UnavailableCauses.BacklogRetry);

    private Task<RedisResult> SendClaim(IDatabaseAsync db, Order order, string mode) =>
        SendClaims(db, _partitioner.HomeOf(order.OrderId), [order], mode);

    /// <summary>One claim.lua call for orders of one home partition; its reply holds one answer per order, in order.</summary>
    /// <param name="sweepable">False keeps multi-partition claims out of the pending set, whose sweep aborts them
    /// (a reservation's commit only rolls forward).</param>
    private Task<RedisResult> SendClaims(IDatabaseAsync db, int home, IReadOnlyList<Order> orders, string mode, bool sweepable = true)
    {
        const int stride = 6 + SeenFilter.Hashes;
        var keys = new RedisKey[3 + orders.Count];
        keys[0] = _keys.Pending(home);
        keys[1] = _keys.Seen(home);
        keys[2] = _keys.Marker(home);
        var args = new RedisValue[2 + (stride * orders.Count)];
        args[0] = _options.TtlSeconds;
        args[1] = SeenFilter.Hashes;
        for (var i = 0; i < orders.Count; i++)
        {
            var order = orders[i];
            var at = 2 + (stride * i);
            keys[3 + i] = _keys.Claim(home, order.OrderId);
            args[at] = order.OrderId;
            args[at + 1] = order.Fingerprint;
            args[at + 2] = order.EncodedLines;
            // An integer RedisValue goes out as the same decimal text, without a string per call.
            args[at + 3] = order.IsSinglePartition ? order.Partitions[0] : string.Join(' ', order.Partitions);
            args[at + 4] = order.IsSinglePartition || !sweepable ? "0" : "1";
            args[at + 5] = mode;
            _seen.Fill(order.OrderId, args, at + 6);
        }

        return db.ScriptEvaluateAsync(RedisScripts.Claim, keys, args);
    }

    private Task<RedisResult> SendRebind(Order order, ClaimReply claim)
    {
        var home = _partitioner.HomeOf(order.OrderId);
        return Db.ScriptEvaluateAsync(RedisScripts.Rebind, [_keys.Claim(home, order.OrderId), _keys.Pending(home)],
        [
            order.OrderId, claim.Epoch, claim.Fingerprint, order.Fingerprint, order.EncodedLines, string.Join(' ', order.Partitions),
            order.IsSinglePartition ? "0" : "1", _options.TtlSeconds,
        ]);
    }

    /// <param name="index">The order's place in a claim.lua call (one answer per order); null for a script that
    /// answers one order flat (rebind.lua).</param>
    private async Task<ClaimReply> AwaitClaimAsync(Task<RedisResult> claim, int? index)
    {
        try
        {
            var reply = await claim.ConfigureAwait(false);
            return ClaimReply.Parse(index is { } at ? ((RedisResult[])reply!)[at] : reply);
        }
        catch (Exception e) when (RedisFailures.RefusalOf(e) is { } refusal)
        {
            Refusals.Note(refusal);
            return ClaimReply.Refused(refusal);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return ClaimReply.Unknown;
        }
    }

    /// <summary>
    /// A dropped connection (not a timeout) resends once: claims and deductions are idempotent at the same epoch, so
    /// a resend is either the first landing or a replay. A timeout is not resent: a stalled node would only stall again.
    /// </summary>
    private static async Task<RedisResult> Resending(Task<RedisResult> sent, Func<Task<RedisResult>> resend)
    {
        try
        {
            return await sent.ConfigureAwait(false);
        }
        catch (RedisConnectionException)
        {
            return await resend().ConfigureAwait(false);
        }
    }

    private Task<RedisResult> SendSingleDeduct(IDatabaseAsync db, Order order, long epoch)
    {
        var only = new[] { new Deduction(order, order.Lines, epoch) };
        return Resending(SendDeducts(db, order.Partitions[0], only), () => SendDeducts(Db, order.Partitions[0], only));
    }

    /// <summary>An order's lines in one partition, to deduct at the claim's epoch.</summary>
    private readonly record struct Deduction(Order Order, IReadOnlyList<OrderLine> Lines, long Epoch);

    /// <summary>One deduct.lua call for orders of one stock partition; its reply holds one answer per order, in order.</summary>
    private Task<RedisResult> SendDeducts(IDatabaseAsync db, int partition, IReadOnlyList<Deduction> deductions)
    {
        var keys = new RedisKey[4 + deductions.Count];
        keys[0] = _keys.Stock(partition);
        keys[1] = _keys.Sequences(partition);
        keys[2] = _keys.Journal(partition);
        keys[3] = _keys.Marker(partition);
        var count = 3;
        foreach (var deduction in deductions)
        {
            count += 5 + (2 * deduction.Lines.Count);
        }

        var args = new RedisValue[count];
        args[0] = Deadline();
        args[1] = _options.TtlSeconds;
        args[2] = _options.JournalLimit;
        var at = 3;
        for (var i = 0; i < deductions.Count; i++)
        {
            var (order, lines, epoch) = deductions[i];
            keys[4 + i] = _keys.Record(partition, order.OrderId);
            args[at] = order.OrderId;
            args[at + 1] = epoch;
            args[at + 2] = ReferenceEquals(lines, order.Lines) ? order.Fingerprint : Order.FingerprintOf(lines, order.CustomerId);
            args[at + 3] = lines.Count;
            at += 4;
            foreach (var line in lines)
            {
                args[at] = line.Sku;
                args[at + 1] = line.Quantity;
                at += 2;
            }

            args[at++] = order.CustomerId ?? "";
        }

        return db.ScriptEvaluateAsync(RedisScripts.Deduct, keys, args);
    }

    /// <summary>
    /// A deduction that timed out is never voided: it either lands at the same epoch (a retry replays it) or not at
    /// all. Only a plain read asks whether it landed, which a write stall does not block.
    /// </summary>
    /// <param name="index">The order's place in the deduct.lua call (one answer per order).</param>
    private async Task<SlotReply> AwaitSlotAsync(Task<RedisResult> deduct, int index)
    {
        try
        {
            return SlotReply.Parse(((RedisResult[])(await deduct.ConfigureAwait(false))!)[index]);
        }
        catch (Exception e) when (RedisFailures.RefusalOf(e) is { } refusal)
        {
            // Refused before its first line ran (see RedisFailures.RefusalOf): this attempt deducted nothing.
            Refusals.Note(refusal);
            return SlotReply.Refused(refusal);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return SlotReply.Unknown;
        }
    }

    /// <param name="customerId">The customer of <paramref name="fromLedger"/>'s lines, whose allowance they give back.</param>
    private async Task<RedisResult[]> RevertAsync(string orderId, int partition, string kind, long epoch, string fromLedger = "", bool askIfAbsent = false, string? customerId = null)
    {
        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Revert, _keys.PartitionKeys(partition, orderId),
            [orderId, _options.TtlSeconds, kind, epoch, fromLedger, askIfAbsent ? "ask" : "", customerId ?? ""]).ConfigureAwait(false))!;
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

    private static string EncodeResults(IEnumerable<LineResult> lines) =>
        string.Join(',', lines.Select(l => $"{l.Sku} {l.Quantity} {l.Remaining}"));

    private long Deadline() => _time.GetUtcNow().ToUnixTimeMilliseconds() + _options.TimeoutMilliseconds;
}
