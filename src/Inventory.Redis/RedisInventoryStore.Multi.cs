using Inventory.Domain;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

public sealed partial class RedisInventoryStore
{
    /// <summary>
    /// An order spanning partitions: claim with intent (state pending) first, deduct partition by partition,
    /// compensate on failure. A process that dies midway leaves a pending claim that a retry finishes or the
    /// recovery sweep rolls back once every deadline the attempt carried has passed.
    /// </summary>
    private async Task<DeductionOutcome> DeductAcrossPartitionsAsync(Order order)
    {
        var nonce = NewNonce();
        ClaimReply claim;
        try
        {
            claim = ClaimReply.Parse(await SendMultiClaim(Db, order, nonce).ConfigureAwait(false));
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            // Nothing was deducted yet; the claim, if it landed, is pending and a retry takes it over.
            return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
        }

        switch (claim.Status)
        {
            case ClaimStatus.Tomb:
                return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled);
            case ClaimStatus.Conflict:
                return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Conflict);
            case ClaimStatus.Same when claim.State == "deducted":
                return await ReplayAcrossPartitionsAsync(order).ConfigureAwait(false);
            case ClaimStatus.Same when claim.State == "cancelled":
                return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled);
            case ClaimStatus.Same:
                // compensating: the recovery sweep is rolling this order back; ask the caller to come back
                return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
        }

        var deadline = Deadline();
        var deducted = new List<(int Partition, SlotReply Reply)>();
        foreach (var partition in order.Partitions)
        {
            var lines = order.LinesIn(partition, _partitioner);
            var slot = await AwaitSlotAsync(order, partition, nonce, SendDeduct(Db, order, partition, lines, nonce, deadline)).ConfigureAwait(false);
            if (slot.Status != SlotStatus.Deducted)
            {
                return await AbandonAsync(order, nonce, deducted, slot).ConfigureAwait(false);
            }

            NoteAppended(partition, slot);
            deducted.Add((partition, slot));
            if (CrashAfterFirstPartition)
            {
                Environment.FailFast("Fault injection: crash after the first partition of a multi-partition order.");
            }
        }

        if (!await ReplicatedAsync(order.Partitions).ConfigureAwait(false))
        {
            // Not yet safe from a lossy failover: stays pending, so a retry replays and waits again, or recovery rolls it back.
            return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
        }

        var moved = await TryTransitionAsync(order.OrderId, "pending", "deducted", "").ConfigureAwait(false);
        if (moved is "pending" or "deducted")
        {
            var lines = MergeInOrder(order.Lines, deducted.SelectMany(d => d.Reply.Lines));
            return new DeductionOutcome(order.OrderId, DeductionStatus.Deducted, lines, deducted.All(d => d.Reply.Replayed));
        }

        if (moved is null)
        {
            // Whether the order became deducted is unknown; it stays pending, so a retry finishes it or the
            // recovery sweep rolls it back. Either way no deduction is lost or doubled.
            return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
        }

        if (moved == "cancelled")
        {
            // Cancel wins: it reverts every partition, including the ones deducted here.
            return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled);
        }

        // The recovery sweep rolled the order back underneath us: deductions that landed after it must go too.
        foreach (var (partition, _) in deducted)
        {
            await TryVoidAsync(order, partition, nonce).ConfigureAwait(false);
        }

        return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown);
    }

    private async Task<DeductionOutcome> AbandonAsync(Order order, string nonce, List<(int Partition, SlotReply Reply)> deducted, SlotReply failure)
    {
        var compensated = true;
        foreach (var (partition, _) in deducted)
        {
            compensated &= await TryVoidAsync(order, partition, nonce).ConfigureAwait(false);
        }

        // If compensation failed, the claim stays pending and the recovery sweep finishes the job.
        if (compensated)
        {
            await TryTransitionAsync(order.OrderId, "pending", "failed", nonce).ConfigureAwait(false);
        }

        return failure.Status switch
        {
            SlotStatus.Insufficient => new DeductionOutcome(order.OrderId, DeductionStatus.Insufficient, [], Short: failure.Short),
            SlotStatus.UnknownSku => new DeductionOutcome(order.OrderId, DeductionStatus.UnknownSku, [], UnknownSkus: failure.UnknownSkus),
            SlotStatus.Conflict => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Conflict),
            SlotStatus.Cancelled => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled),
            SlotStatus.Backlog => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unavailable),
            _ => DeductionOutcome.Simple(order.OrderId, DeductionStatus.Unknown),
        };
    }

    /// <summary>The original answer, lines in the order the first request listed them (a replay may list them otherwise).</summary>
    private async Task<DeductionOutcome> ReplayAcrossPartitionsAsync(Order order)
    {
        var claim = Db.StringGetAsync(_keys.Claim(_partitioner.HomeOf(order.OrderId), order.OrderId));
        var records = await Task.WhenAll(order.Partitions.Select(p => Db.HashGetAsync(_keys.Record(p, order.OrderId), "res"))).ConfigureAwait(false);
        var original = ClaimValue.Parse(await claim.ConfigureAwait(false))?.Lines ?? order.EncodedLines;
        var lines = MergeInOrder(Order.Decode(original), records.SelectMany(r => SlotReply.ParseLines(r)));
        return new DeductionOutcome(order.OrderId, DeductionStatus.Deducted, lines, Replayed: true);
    }

    private static List<LineResult> MergeInOrder(IReadOnlyList<OrderLine> order, IEnumerable<LineResult> lines)
    {
        var bySku = lines.ToDictionary(l => l.Sku, StringComparer.Ordinal);
        return order.Where(l => bySku.ContainsKey(l.Sku)).Select(l => bySku[l.Sku]).ToList();
    }

    /// <summary>Compare-and-set on a multi-partition claim. Returns the state it was in, or null if Redis failed.</summary>
    private async Task<string?> TryTransitionAsync(string orderId, string from, string to, string nonce)
    {
        var home = _partitioner.HomeOf(orderId);
        try
        {
            var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Transition, [_keys.Claim(home, orderId), _keys.Pending(home)],
                [orderId, from, to, nonce, _options.TtlSeconds]).ConfigureAwait(false))!;
            return (string?)reply[1];
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return null;
        }
    }
}
