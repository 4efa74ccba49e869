using Inventory.Domain;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

public sealed partial class RedisInventoryStore
{
    /// <summary>
    /// An order spanning partitions: claim, deduct every partition at the claim's epoch, then commit on the claim.
    /// A refusal anywhere aborts the claim first and then voids the epoch everywhere. Commit and abort exclude each
    /// other, so a 200 is never undone and a void never races a commit. A process that dies midway leaves the claim
    /// open; the recovery sweep aborts it once its latest attempt is older than RecoverAfter.
    /// </summary>
    private async Task<DeductionOutcome> DeductAcrossPartitionsAsync(Order order, ClaimReply? claimed = null)
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

            var slots = await DeductPartitionsAsync(order, step.Epoch).ConfigureAwait(false);
            if (await DecideAcrossPartitionsAsync(order, step.Epoch, slots).ConfigureAwait(false) is { } outcome)
            {
                return outcome;
            }
        }

        return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
    }

    /// <summary>
    /// Settles an attempt on the claim from every partition's reply at the epoch: commit, or abort and void. Null when
    /// the attempt must claim again: the claim moved on (aborted by the sweep, or rebound) or a deduction ran late.
    /// </summary>
    private async Task<DeductionOutcome?> DecideAcrossPartitionsAsync(Order order, long epoch, IReadOnlyList<(int Partition, SlotReply Reply)> slots)
    {
        if (slots.Any(s => s.Reply.Status is SlotStatus.Fenced or SlotStatus.Expired))
        {
            return null;
        }

        var refusal = slots.Select(s => s.Reply).FirstOrDefault(r => r.Status is not (SlotStatus.Deducted or SlotStatus.Unknown));
        if (refusal is not null)
        {
            return await AbortAsync(order, epoch, refusal).ConfigureAwait(false);
        }

        if (slots.Any(s => s.Reply.Status == SlotStatus.Unknown))
        {
            // The claim stays open: a retry finishes it at the same epoch, or the sweep rolls it back.
            return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
        }

        var settled = await SettleAsync(order.OrderId, "commit", epoch, 0).ConfigureAwait(false);
        switch (settled?.State)
        {
            case null:
                return await ReadDecidedAsync(order).ConfigureAwait(false) ?? DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
            case "cancelled":
                return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled);
            case "open" or "deducted" when settled.Ok:
                var lines = MergeInOrder(order.Lines, slots.SelectMany(s => s.Reply.Lines));
                return new DeductionOutcome(order.OrderId, DeductionStatus.Deducted, lines, slots.All(s => s.Reply.Replayed));
            default:
                // aborting or aborted under us: nothing of this epoch stands; claim again (reopens at the next epoch)
                return null;
        }
    }

    private async Task<List<(int Partition, SlotReply Reply)>> DeductPartitionsAsync(Order order, long epoch)
    {
        if (CrashAfterFirstPartition)
        {
            var first = order.Partitions[0];
            await AwaitSlotAsync(SendDeducts(Db, first, [new Deduction(order, order.LinesIn(first, _partitioner), epoch)]), 0).ConfigureAwait(false);
            Environment.FailFast("Fault injection: crash after the first partition of a multi-partition order.");
        }

        var sent = order.Partitions.Select(p =>
        {
            var only = new[] { new Deduction(order, order.LinesIn(p, _partitioner), epoch) };
            return (Partition: p, Task: Resending(SendDeducts(Db, p, only), () => SendDeducts(Db, p, only)));
        }).ToList();
        var slots = new List<(int, SlotReply)>(sent.Count);
        foreach (var (partition, task) in sent)
        {
            var reply = await AwaitSlotAsync(task, 0).ConfigureAwait(false);
            NoteAppended(partition, reply);
            slots.Add((partition, reply));
        }

        return slots;
    }

    /// <summary>
    /// A partition refused: move the claim to aborting (unless another attempt committed: then its answer stands),
    /// void the epoch everywhere, and mark the claim aborted. Once aborting, the order can never stand, so the
    /// refusal is the true answer even if a void must be left to the recovery sweep.
    /// </summary>
    private async Task<DeductionOutcome> AbortAsync(Order order, long epoch, SlotReply refusal)
    {
        var settled = await SettleAsync(order.OrderId, "abort", epoch, 0).ConfigureAwait(false);
        if (settled is null)
        {
            return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
        }

        if (!settled.Ok)
        {
            return settled.State switch
            {
                "deducted" => await ReplayAsync(order, restored: false).ConfigureAwait(false),
                "cancelled" => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled),
                _ => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown),
            };
        }

        await VoidEpochAsync(order.OrderId, order.Partitions, epoch).ConfigureAwait(false);
        return refusal.Status switch
        {
            SlotStatus.Insufficient => new DeductionOutcome(order.OrderId, DeductionStatus.Insufficient, [], Short: refusal.Short),
            SlotStatus.LimitExceeded => new DeductionOutcome(order.OrderId, DeductionStatus.LimitExceeded, [], OverLimit: refusal.OverLimit),
            SlotStatus.UnknownSku => new DeductionOutcome(order.OrderId, DeductionStatus.UnknownSku, [], UnknownSkus: refusal.UnknownSkus),
            SlotStatus.Conflict => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Conflict),
            SlotStatus.Cancelled => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled),
            _ => Unavailable(order.OrderId, refusal),
        };
    }

    /// <summary>Voids an aborting epoch in every partition, then marks the claim aborted. False if Redis failed midway.</summary>
    private async Task<bool> VoidEpochAsync(string orderId, IEnumerable<int> partitions, long epoch)
    {
        try
        {
            await Task.WhenAll(partitions.Select(p => RevertAsync(orderId, p, "void", epoch))).ConfigureAwait(false);
            return await SettleAsync(orderId, "finish", epoch, 0).ConfigureAwait(false) is not null;
        }
        catch (Exception e) when (RedisFailures.IsTransient(e) || e is PartitionLostException)
        {
            return false;
        }
    }

    private sealed record Settled(bool Ok, string State, string Lines, string Partitions);

    /// <summary>A compare-and-set on a multi-partition claim (settle.lua). Null if Redis did not answer.</summary>
    private async Task<Settled?> SettleAsync(string orderId, string action, long epoch, long minAgeMs)
    {
        var home = _partitioner.HomeOf(orderId);
        try
        {
            var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Settle, [_keys.Claim(home, orderId), _keys.Pending(home)],
                [orderId, action, epoch, minAgeMs]).ConfigureAwait(false))!;
            string At(int i) => reply.Length > i ? (string?)reply[i] ?? "" : "";
            return new Settled(At(0) == "ok", At(1), At(2), At(3));
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return null;
        }
    }

    /// <summary>The original answer, lines in the order the first request listed them (a replay may list them otherwise).</summary>
    private async Task<DeductionOutcome> ReplayAsync(Order order, bool restored)
    {
        var home = _partitioner.HomeOf(order.OrderId);
        var claim = await Db.HashGetAsync(_keys.Claim(home, order.OrderId), ["ln", "res"]).ConfigureAwait(false);
        var original = Order.Decode((string?)claim[0] ?? order.EncodedLines);
        IEnumerable<LineResult> results;
        if (restored)
        {
            results = SlotReply.ParseLines((string?)claim[1]);
        }
        else
        {
            var records = await Task.WhenAll(order.Partitions.Select(p => Db.HashGetAsync(_keys.Record(p, order.OrderId), "res"))).ConfigureAwait(false);
            results = records.SelectMany(r => SlotReply.ParseLines(r));
        }

        return new DeductionOutcome(order.OrderId, DeductionStatus.Deducted, MergeInOrder(original, results), Replayed: true);
    }

    private static List<LineResult> MergeInOrder(IReadOnlyList<OrderLine> order, IEnumerable<LineResult> lines)
    {
        var bySku = new Dictionary<string, LineResult>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            bySku[line.Sku] = line;
        }

        return order.Where(l => bySku.ContainsKey(l.Sku)).Select(l => bySku[l.Sku]).ToList();
    }
}
