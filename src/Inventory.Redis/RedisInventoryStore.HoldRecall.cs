using Inventory.Domain;
using Inventory.Persistence;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

/// <summary>
/// Reservations whose home Redis no longer holds (its partition was lost and rebuilt) but which ended before: SQL's
/// ledger remembers how, as it remembers forgotten orders (docs/redis-keys.md, rule 8). The home's seen filter knows
/// every reservation id under "hold/&lt;id&gt;" (hold_claim.lua sets the bits, the rebuild refills them from hold
/// rows), so only ids it may have seen cost a SQL read; an ended one is put back on its home, final, and the request
/// then meets it as it would have met the original (docs/holds.md, "Rebuild after data loss").
/// </summary>
public sealed partial class RedisInventoryStore
{
    private enum RecallState
    {
        /// <summary>The ended reservation is back on its home: ask Redis again.</summary>
        Restored,
        /// <summary>Neither the filter nor SQL knows an ended reservation of this id (or its home exists).</summary>
        Unknown,
        /// <summary>SQL shows it still held while Redis has no home: the rebuild puts those back; not an answer.</summary>
        StillHeld,
        Unavailable,
    }

    private readonly record struct HoldRecall(RecallState State, string Cause = "", TimeSpan RetryAfter = default);

    /// <summary>The bit offsets of a reservation id in its home's seen filter (its own spelling: order ids share the filter).</summary>
    private RedisValue[] HoldSeenOffsets(string reservationId) => _seen.Offsets("hold/" + reservationId);

    /// <summary>Whether the reservation's home is absent and its seen filter may know the id (read-only).</summary>
    private async Task<bool> ForgottenHoldAsync(string reservationId)
    {
        var home = _partitioner.HoldHomeOf(reservationId);
        var exists = Db.KeyExistsAsync(_keys.Hold(home, reservationId));
        var bits = HoldSeenOffsets(reservationId).Select(o => Db.StringGetBitAsync(_keys.Seen(home), (long)o)).ToList();
        return !await exists.ConfigureAwait(false) && (await Task.WhenAll(bits).ConfigureAwait(false)).All(b => b);
    }

    /// <summary>For an absent home: an ended reservation SQL remembers comes back on it; otherwise why not.</summary>
    private async Task<HoldRecall> RecallIfForgottenAsync(string reservationId)
    {
        try
        {
            return await ForgottenHoldAsync(reservationId).ConfigureAwait(false)
                ? await RecallHoldAsync(reservationId).ConfigureAwait(false)
                : new HoldRecall(RecallState.Unknown);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return new HoldRecall(RecallState.Unavailable, UnavailableCauses.LedgerUnavailable, UnavailableCauses.RebuildRetry);
        }
    }

    /// <summary>SQL's ledger decides a reservation id the seen filter knows but whose home is gone.</summary>
    private async Task<HoldRecall> RecallHoldAsync(string reservationId)
    {
        LedgerHold? hold;
        try
        {
            hold = await _ledger.FindHoldAsync(reservationId).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new HoldRecall(RecallState.Unavailable, UnavailableCauses.LedgerUnavailable, UnavailableCauses.RebuildRetry);
        }

        if (hold is null)
        {
            return new HoldRecall(RecallState.Unknown);
        }

        if (hold.State == HoldState.Held)
        {
            return new HoldRecall(RecallState.StillHeld);
        }

        try
        {
            var restored = (string?)await RestoreEndedHoldAsync(hold).ConfigureAwait(false);
            return restored == "lost"
                ? new HoldRecall(RecallState.Unavailable, UnavailableCauses.Rebuilding, UnavailableCauses.RebuildRetry)
                : new HoldRecall(RecallState.Restored);
        }
        catch (Exception e) when (RedisFailures.RefusalOf(e) is { } refusal)
        {
            Refusals.Note(refusal);
            return new HoldRecall(RecallState.Unavailable, refusal.Cause, refusal.RetryAfter);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return new HoldRecall(RecallState.Unavailable, UnavailableCauses.LedgerUnavailable, UnavailableCauses.RebuildRetry);
        }
    }

    private Task<RedisResult> RestoreEndedHoldAsync(LedgerHold hold)
    {
        var home = _partitioner.HoldHomeOf(hold.ReservationId);
        var lines = hold.Held.Select(l => new OrderLine(l.Sku, l.Quantity)).ToList();
        var state = hold.State switch
        {
            HoldState.Committed => "committed",
            HoldState.Expired => "expired",
            _ => "released",
        };
        var ended = hold.Ended is null ? AbandonedCommit : EncodeResults(hold.Ended);
        return Db.ScriptEvaluateAsync(RedisScripts.RestoreHoldEnded, [_keys.Hold(home, hold.ReservationId), _keys.Marker(home)],
        [
            state, Order.FingerprintOf(lines, hold.CustomerId), Order.Encode(lines),
            string.Join(' ', lines.Select(l => _partitioner.PartitionOf(l.Sku)).Distinct().Order()),
            hold.ExpiresAt, hold.Attempt, hold.CustomerId ?? "", EncodeResults(hold.Held),
            hold.State == HoldState.Committed ? hold.OrderId ?? "" : "", ended, ended,
            HoldLimits.MaxTtlSeconds + _options.TtlSeconds,
        ]);
    }

    /// <summary>GET of a reservation whose home is gone: SQL's answer for an ended one the seen filter knows, else null.</summary>
    private async Task<HoldView?> EndedHoldFromLedgerAsync(string reservationId, CancellationToken cancellationToken)
    {
        if (!await ForgottenHoldAsync(reservationId).ConfigureAwait(false)
            || await _ledger.FindHoldAsync(reservationId, cancellationToken).ConfigureAwait(false) is not { State: not HoldState.Held } hold)
        {
            return null;
        }

        return new HoldView(reservationId, hold.State, ExpiresAt(hold.ExpiresAt), hold.Held.Select(l => new OrderLine(l.Sku, l.Quantity)).ToList(),
            hold.State == HoldState.Committed ? hold.OrderId : null);
    }
}
