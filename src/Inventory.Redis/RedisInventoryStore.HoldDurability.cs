using Inventory.Domain;
using StackExchange.Redis;

namespace Inventory.Redis;

/// <summary>
/// Durable acknowledgements for reservations (docs/redis-keys.md, rule 9): a hold, commit or release answers 200 only
/// once a replica of every primary it wrote has the writes, and the expiry loop counts a reservation expired only then.
/// WAIT covers only its own connection's writes, and an answer may rest on writes another process made (a replay, a
/// roll-forward, a partition another attempt finished), so each key the answer stands on is touched first
/// (touch.lua: its own expiry set again, a write that changes nothing); replication is one ordered stream per primary,
/// so the touch is confirmed only after the writes it follows. Not confirmed in time: 503 unknown, and the change stands.
/// </summary>
public sealed partial class RedisInventoryStore
{
    public async Task<HoldOutcome> HoldAsync(HoldRequest request, CancellationToken cancellationToken = default)
    {
        var outcome = await HoldOnceAsync(request).ConfigureAwait(false);
        return outcome.Status != HoldStatus.Held
            || await HoldReplicatedAsync(HoldKeys(request.ReservationId, PartitionsOf(request.Lines))).ConfigureAwait(false)
            ? outcome
            : HoldOutcome.Simple(request.ReservationId, HoldStatus.Unknown);
    }

    public async Task<HoldSettleOutcome> CommitHoldAsync(string reservationId, string orderId, CancellationToken cancellationToken = default)
    {
        var outcome = await CommitOnceAsync(reservationId, orderId).ConfigureAwait(false);
        return outcome.Status != HoldSettleStatus.Committed
            || await HoldReplicatedAsync(CommitKeys(reservationId, orderId, PartitionsOf(outcome.Lines))).ConfigureAwait(false)
            ? outcome
            : HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown, orderId);
    }

    public async Task<HoldSettleOutcome> ReleaseHoldAsync(string reservationId, CancellationToken cancellationToken = default)
    {
        var outcome = await ReleaseOnceAsync(reservationId).ConfigureAwait(false);
        return outcome.Status != HoldSettleStatus.Released
            || await HoldReplicatedAsync(HoldKeys(reservationId, PartitionsOf(outcome.Lines))).ConfigureAwait(false)
            ? outcome
            : HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown);
    }

    private int[] PartitionsOf(IEnumerable<OrderLine> lines) => lines.Select(l => _partitioner.PartitionOf(l.Sku)).Distinct().ToArray();

    private int[] PartitionsOf(IEnumerable<LineResult> lines) => lines.Select(l => _partitioner.PartitionOf(l.Sku)).Distinct().ToArray();

    /// <summary>What a hold, release or expiry wrote: the reservation's home and its record in each partition.</summary>
    private IEnumerable<(int Partition, RedisKey Key)> HoldKeys(string reservationId, IEnumerable<int> partitions)
    {
        var home = _partitioner.HoldHomeOf(reservationId);
        return partitions.Select(p => (p, _keys.HoldRecord(p, reservationId))).Append((home, _keys.Hold(home, reservationId)));
    }

    /// <summary>What a commit wrote: the reservation's home, the order's claim, and the order's record in each partition.</summary>
    private IEnumerable<(int Partition, RedisKey Key)> CommitKeys(string reservationId, string orderId, IEnumerable<int> partitions)
    {
        var home = _partitioner.HoldHomeOf(reservationId);
        var claimHome = _partitioner.HomeOf(orderId);
        return partitions.Select(p => (p, _keys.Record(p, orderId))).Append((home, _keys.Hold(home, reservationId))).Append((claimHome, _keys.Claim(claimHome, orderId)));
    }

    /// <summary>True when durable acknowledgements are off, or once a replica of every primary behind the keys confirmed them.</summary>
    private async Task<bool> HoldReplicatedAsync(IEnumerable<(int Partition, RedisKey Key)> written)
    {
        if (!_options.DurableAcknowledgements)
        {
            return true;
        }

        var keys = written.ToList();
        try
        {
            await Task.WhenAll(keys.Select(k => Db.ScriptEvaluateAsync(RedisScripts.Touch, [k.Key]))).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e) || RedisFailures.RefusalOf(e) is not null)
        {
            return false;
        }

        return await ReplicatedAsync(keys.Select(k => k.Partition)).ConfigureAwait(false);
    }
}
