using System.Globalization;
using Inventory.Domain;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

public sealed partial class RedisInventoryStore
{
    public async Task<DeductionOutcome?> FindReplayAsync(Order order, CancellationToken cancellationToken = default)
    {
        var view = await GetOrderAsync(order.OrderId, cancellationToken).ConfigureAwait(false);
        if (view is null || view.State == OrderState.Pending)
        {
            return null;
        }

        if (view.State == OrderState.Cancelled)
        {
            return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled);
        }

        if (Order.Encode(view.Lines.OrderBy(l => l.Sku, StringComparer.Ordinal)) != order.Fingerprint)
        {
            return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Conflict);
        }

        return await ReplayAcrossPartitionsAsync(order).ConfigureAwait(false);
    }

    public async Task<OrderView?> GetOrderAsync(string orderId, CancellationToken cancellationToken = default)
    {
        var claim = ClaimValue.Parse(await Db.StringGetAsync(_keys.Claim(_partitioner.HomeOf(orderId), orderId)).ConfigureAwait(false));
        var state = claim?.State;
        if (claim is null || state is "tomb" or "failed")
        {
            return null;
        }

        var lines = Order.Decode(claim.Lines);
        if (state != ClaimValue.Single)
        {
            return state switch
            {
                "deducted" => new OrderView(orderId, OrderState.Deducted, lines, false),
                "cancelled" => new OrderView(orderId, OrderState.Cancelled, lines, false),
                _ => new OrderView(orderId, OrderState.Pending, lines, false),
            };
        }

        var record = await Db.HashGetAsync(_keys.Record(claim.PartitionList[0], orderId), ["st", "ln", "cres"]).ConfigureAwait(false);
        // The claim may hold other lines than the record if the claim lost to a conflicting attempt.
        if ((string?)record[1] != claim.Fingerprint)
        {
            return null;
        }

        return (string?)record[0] switch
        {
            "deducted" => new OrderView(orderId, OrderState.Deducted, lines, false),
            "cancelled" when !record[2].IsNullOrEmpty => new OrderView(orderId, OrderState.Cancelled, lines, false),
            _ => null,
        };
    }

    public async Task<CancelOutcome> CancelAsync(string orderId, CancellationToken cancellationToken = default)
    {
        var home = _partitioner.HomeOf(orderId);
        RedisResult[] claim;
        try
        {
            claim = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Tombstone, [_keys.Claim(home, orderId)], [_options.TtlSeconds]).ConfigureAwait(false))!;
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return new CancelOutcome(orderId, CancelStatus.Unknown, []);
        }

        if ((string)claim[0]! == "tomb" || ClaimValue.Parse((string?)claim[1]) is not { State: not "tomb" } found)
        {
            return new CancelOutcome(orderId, CancelStatus.NotFound, []);
        }

        var lines = Order.Decode(found.Lines);
        var partitions = found.PartitionList;
        if (found.State != ClaimValue.Single && await TryTransitionAsync(orderId, "pending deducted failed compensating cancelled", "cancelled", "").ConfigureAwait(false) is null)
        {
            return new CancelOutcome(orderId, CancelStatus.Unknown, []);
        }

        // Revert every partition, also after a crash halfway through an earlier cancel: each revert happens once.
        RedisResult[][] reverts;
        try
        {
            reverts = await Task.WhenAll(partitions.Select(p => RevertAsync(orderId, p, "cancel", "", ""))).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return new CancelOutcome(orderId, CancelStatus.Unknown, []);
        }

        var restocked = reverts.Where(r => (string?)r[0] == "cancelled").SelectMany(r => SlotReply.ParseLines((string?)r[1])).ToDictionary(l => l.Sku, StringComparer.Ordinal);
        if (restocked.Count == 0)
        {
            // Never deducted (rejected, failed or not yet landed): now fenced, so it cannot land later.
            return new CancelOutcome(orderId, CancelStatus.NotFound, []);
        }

        // A revert that restocked now answers with its journal id; one that had restocked before does not.
        var replayed = !reverts.Any(r => r.Length == 3);
        var ordered = lines.Where(l => restocked.ContainsKey(l.Sku)).Select(l => restocked[l.Sku]).ToList();
        return new CancelOutcome(orderId, CancelStatus.Cancelled, ordered, replayed);
    }

    public async Task<CancelOutcome> CancelFromLedgerAsync(string orderId, IReadOnlyList<OrderLine> lines, CancellationToken cancellationToken = default)
    {
        RedisResult[][] reverts;
        try
        {
            reverts = await Task.WhenAll(lines.GroupBy(l => _partitioner.PartitionOf(l.Sku)).Select(g =>
                RevertAsync(orderId, g.Key, "cancel", "", "", string.Join(',', g.Select(l => $"{l.Sku} {l.Quantity} 0"))))).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return new CancelOutcome(orderId, CancelStatus.Unknown, []);
        }

        var restocked = reverts.Where(r => (string?)r[0] == "cancelled").SelectMany(r => SlotReply.ParseLines((string?)r[1])).ToDictionary(l => l.Sku, StringComparer.Ordinal);
        return restocked.Count == 0
            ? new CancelOutcome(orderId, CancelStatus.NotFound, [])
            : new CancelOutcome(orderId, CancelStatus.Cancelled, lines.Where(l => restocked.ContainsKey(l.Sku)).Select(l => restocked[l.Sku]).ToList(), !reverts.Any(r => r.Length == 3));
    }

    public async Task<int> RecoverAbandonedOrdersAsync(CancellationToken cancellationToken = default)
    {
        var recovered = 0;
        var cutoff = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.RecoverAfter.TotalMilliseconds;
        for (var home = 0; home < _partitioner.Count; home++)
        {
            var stale = await Db.SortedSetRangeByScoreAsync(_keys.Pending(home), double.NegativeInfinity, cutoff, take: 100).ConfigureAwait(false);
            foreach (var id in stale)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (await RecoverAsync(home, (string)id!).ConfigureAwait(false))
                {
                    recovered++;
                }
            }
        }

        return recovered;
    }

    private async Task<bool> RecoverAsync(int home, string orderId)
    {
        var reply = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Recover, [_keys.Claim(home, orderId), _keys.Pending(home)],
            [orderId, (long)_options.RecoverAfter.TotalMilliseconds]).ConfigureAwait(false))!;
        if ((string?)reply[0] != "compensate")
        {
            return false;
        }

        var claim = ClaimValue.Parse((string?)reply[1])!;
        var lines = Order.Decode(claim.Lines);
        var nonce = claim.Nonce;
        foreach (var partition in claim.PartitionList)
        {
            var local = Order.FingerprintOf(lines.Where(l => _partitioner.PartitionOf(l.Sku) == partition));
            await RevertAsync(orderId, partition, "void", nonce, local).ConfigureAwait(false);
        }

        await TryTransitionAsync(orderId, "compensating", "failed", "").ConfigureAwait(false);
        return true;
    }
}
