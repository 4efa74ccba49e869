using System.Globalization;
using Inventory.Domain;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

/// <summary>
/// Reservations: units held out of stock until committed (they become an order's deduction), released, or expired
/// by the expiry loop. The reservation's home state (hold_settle.lua) is the one compare-and-set where commit,
/// release and expiry meet; each partition's hold record (hold.lua, hold_commit.lua, hold_release.lua) moves units
/// exactly once. docs/holds.md.
/// </summary>
public sealed partial class RedisInventoryStore
{
    /// <summary>One partition's answer: the reply, or why there is none (no answer, or Redis refused outright).</summary>
    private sealed record PartReply(int Partition, string Status, RedisResult[] Items, RedisRefusal? Refusal = null)
    {
        public string At(int i) => Items.Length > i ? (string?)Items[i] ?? "" : "";
    }

    private sealed record HoldHome(string State, IReadOnlyList<OrderLine> Lines, int[] Partitions, string Customer, long Attempt, string OrderId, string Answer);

    private async Task<HoldOutcome> HoldOnceAsync(HoldRequest request)
    {
        var id = request.ReservationId;
        var lines = Order.Create(new DeductionRequest(id, request.Lines), _partitioner);
        var customer = request.CustomerId ?? "";
        // The customer is part of what the id is bound to: the same id for another customer is other lines (422).
        var fingerprint = Order.FingerprintOf(lines.Lines, request.CustomerId);
        var home = _partitioner.HoldHomeOf(id);
        var mode = "new";
        for (var round = 0; round < MaxRounds; round++)
        {
            RedisResult[] claim;
            try
            {
                claim = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.HoldClaim, [_keys.Hold(home, id), _keys.HoldExpiry(home), _keys.Marker(home), _keys.Seen(home)],
                    [id, fingerprint, lines.EncodedLines, string.Join(' ', lines.Partitions), request.TtlSeconds * 1000L, customer, _options.TtlSeconds, mode,
                        .. HoldSeenOffsets(id)]).ConfigureAwait(false))!;
            }
            catch (Exception e) when (RedisFailures.RefusalOf(e) is { } refusal)
            {
                Refusals.Note(refusal);
                return new HoldOutcome(id, HoldStatus.Unavailable, [], Cause: refusal.Cause, RetryAfter: refusal.RetryAfter);
            }
            catch (Exception e) when (RedisFailures.IsTransient(e))
            {
                return HoldOutcome.Simple(id, HoldStatus.Unknown);
            }

            string At(int i) => claim.Length > i ? (string?)claim[i] ?? "" : "";
            switch (At(0))
            {
                case "go":
                    return await HoldPartitionsAsync(lines, Long(At(1)), Long(At(2)), customer, request.TtlSeconds).ConfigureAwait(false);
                case "replay":
                    // the stored answer lists the lines as the first request did
                    return new HoldOutcome(id, HoldStatus.Held, SlotReply.ParseLines(At(1)), ExpiresAt(Long(At(2))), Replayed: true);
                case "conflict":
                    return HoldOutcome.Simple(id, HoldStatus.Conflict);
                case "lost":
                    return new HoldOutcome(id, HoldStatus.Unavailable, [], Cause: UnavailableCauses.Rebuilding, RetryAfter: UnavailableCauses.RebuildRetry);
                case "seen":
                    // No home, but the id may have been held before its home was lost: SQL decides whether this is a
                    // replay of a reservation that ended (put back, then met by the next round) or a new one.
                    var recall = await RecallHoldAsync(id).ConfigureAwait(false);
                    switch (recall.State)
                    {
                        case RecallState.Unavailable:
                            return new HoldOutcome(id, HoldStatus.Unavailable, [], Cause: recall.Cause, RetryAfter: recall.RetryAfter);
                        case RecallState.StillHeld:
                            return HoldOutcome.Simple(id, HoldStatus.Unknown);
                    }

                    mode = recall.State == RecallState.Restored ? "new" : "force";
                    continue;
                default:
                    return HoldOutcome.Simple(id, HoldStatus.Unknown);
            }
        }

        return HoldOutcome.Simple(id, HoldStatus.Unknown);
    }

    /// <summary>
    /// Every partition holds its lines at the attempt; all held: the answer is stored for replays. A refusal anywhere
    /// rolls the attempt back (the partitions that held release, the others get tombstones) and the id may be held
    /// again. A partition without an answer leaves the reservation held: a retry finishes it, or it expires.
    /// </summary>
    private async Task<HoldOutcome> HoldPartitionsAsync(Order lines, long attempt, long expiresAt, string customer, int ttlSeconds)
    {
        var id = lines.OrderId;
        var recordTtl = ttlSeconds + _options.TtlSeconds;
        var replies = await Task.WhenAll(lines.Partitions.Select(p => TryPartAsync(p, () =>
        {
            var here = lines.LinesIn(p, _partitioner);
            var args = new RedisValue[6 + (2 * here.Count)];
            args[0] = id;
            args[1] = attempt;
            args[2] = recordTtl;
            args[3] = _options.JournalLimit;
            args[4] = customer;
            args[5] = expiresAt;
            for (var i = 0; i < here.Count; i++)
            {
                args[6 + (2 * i)] = here[i].Sku;
                args[7 + (2 * i)] = here[i].Quantity;
            }

            return Db.ScriptEvaluateAsync(RedisScripts.Hold,
                [_keys.Stock(p), _keys.Sequences(p), _keys.Journal(p), _keys.HoldRecord(p, id), _keys.Marker(p), _keys.Held(p), _keys.Limits(p), _keys.CustomerTaken(p, customer)], args);
        }))).ConfigureAwait(false);
        foreach (var reply in replies.Where(r => r.Status == "held"))
        {
            NoteStream(reply.Partition, reply.At(3));
        }

        if (replies.All(r => r.Status == "held"))
        {
            // Stored, the answer is replayed as it stands: a partition's hold a failover lost would stay answered.
            if (!await HoldReplicatedAsync(lines.Partitions.Select(p => (p, _keys.HoldRecord(p, id)))).ConfigureAwait(false))
            {
                return HoldOutcome.Simple(id, HoldStatus.Unknown);
            }

            var results = MergeInOrder(lines.Lines, replies.SelectMany(r => SlotReply.ParseLines(r.At(1))));
            var settled = await SettleHoldAsync(id, "held", EncodeResults(results)).ConfigureAwait(false);
            return settled?.At(0) == "ok" && settled.At(1) == "held"
                ? new HoldOutcome(id, HoldStatus.Held, results, ExpiresAt(expiresAt), Replayed: replies.All(r => r.At(2) == "1"))
                : HoldOutcome.Simple(id, HoldStatus.Unknown);
        }

        var refusal = RefusalOf(id, replies);
        if (refusal is null)
        {
            return HoldOutcome.Simple(id, HoldStatus.Unknown);
        }

        var aborted = await SettleHoldAsync(id, "abort").ConfigureAwait(false);
        if (aborted?.At(0) != "ok")
        {
            return HoldOutcome.Simple(id, HoldStatus.Unknown);
        }

        var home = ParseHome(aborted);
        return await ReleasePartitionsAsync(id, "release", home) is not null ? refusal : HoldOutcome.Simple(id, HoldStatus.Unknown);
    }

    /// <summary>The answer for a refused hold: unknown SKUs first, then limits, then short stock, then unavailability.</summary>
    private static HoldOutcome? RefusalOf(string id, PartReply[] replies)
    {
        var unknown = replies.Where(r => r.Status == "unknown").SelectMany(r => r.Items.Skip(1).Select(x => (string)x!)).ToList();
        if (unknown.Count > 0)
        {
            return new HoldOutcome(id, HoldStatus.UnknownSku, [], UnknownSkus: unknown);
        }

        var over = replies.Where(r => r.Status == "limit_exceeded").SelectMany(r => r.Items.Skip(1).Chunk(4)
            .Select(x => new LimitLine((string)x[0]!, Long((string?)x[1]), Long((string?)x[2]), Long((string?)x[3])))).ToList();
        if (over.Count > 0)
        {
            return new HoldOutcome(id, HoldStatus.LimitExceeded, [], OverLimit: over);
        }

        var shortLines = replies.Where(r => r.Status == "insufficient").SelectMany(r => r.Items.Skip(1).Chunk(3)
            .Select(x => new ShortLine((string)x[0]!, Long((string?)x[1]), Long((string?)x[2])))).ToList();
        if (shortLines.Count > 0)
        {
            return new HoldOutcome(id, HoldStatus.Insufficient, [], Short: shortLines);
        }

        if (replies.FirstOrDefault(r => r.Status is "backlog" or "lost" or "refused" or "gone") is { } unavailable)
        {
            return unavailable.Status switch
            {
                "backlog" => new HoldOutcome(id, HoldStatus.Unavailable, [], Cause: UnavailableCauses.JournalBacklog, RetryAfter: UnavailableCauses.BacklogRetry),
                "refused" => new HoldOutcome(id, HoldStatus.Unavailable, [], Cause: unavailable.Refusal!.Cause, RetryAfter: unavailable.Refusal.RetryAfter),
                "lost" => new HoldOutcome(id, HoldStatus.Unavailable, [], Cause: UnavailableCauses.Rebuilding, RetryAfter: UnavailableCauses.RebuildRetry),
                // released or expired under this very attempt (it outlived its TTL): nothing stands, retry
                _ => HoldOutcome.Simple(id, HoldStatus.Unknown),
            };
        }

        return null;
    }

    private async Task<HoldSettleOutcome> CommitOnceAsync(string reservationId, string orderId)
    {
        RedisValue[] fields = ["st", "ln", "o", "rf", "res", "cres", "cu"];
        var key = _keys.Hold(_partitioner.HoldHomeOf(reservationId), reservationId);
        var h = await Db.HashGetAsync(key, fields).ConfigureAwait(false);
        if (h[0].IsNull)
        {
            var recall = await RecallIfForgottenAsync(reservationId).ConfigureAwait(false);
            if (recall.State == RecallState.Unavailable)
            {
                return new HoldSettleOutcome(reservationId, HoldSettleStatus.Unavailable, [], orderId, Cause: recall.Cause, RetryAfter: recall.RetryAfter);
            }

            h = recall.State == RecallState.Restored ? await Db.HashGetAsync(key, fields).ConfigureAwait(false) : h;
        }

        var state = (string?)h[0];
        if (state is null || ((string?)h[3] == "1" && state != "held") || h[4].IsNull)
        {
            return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.NotFound, orderId);
        }

        // The order carries the reservation's customer: its fingerprint then matches a deduction replayed with it.
        var order = Order.Create(new DeductionRequest(orderId, Order.Decode((string?)h[1]), CustomerOrNull((string?)h[6])), _partitioner);
        if (state == "committed" && (string?)h[2] == orderId)
        {
            return CommitReplay(reservationId, order, (string?)h[5]);
        }

        // The reservation first (the one compare-and-set that excludes expiry and release), then the order id: a
        // commit that lost to expiry leaves no claim behind.
        var settled = await SettleHoldAsync(reservationId, "commit", orderId).ConfigureAwait(false);
        switch (settled?.At(0))
        {
            case null:
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown, orderId);
            case "ok":
                var home = ParseHome(settled);
                return home.State == "committed"
                    ? CommitReplay(reservationId, order, home.Answer)
                    : await FinishCommitAsync(reservationId, order, home).ConfigureAwait(false);
            case "expired":
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Expired, orderId);
            case "released":
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Released, orderId);
            case "conflict":
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Conflict, orderId);
            default:
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.NotFound, orderId);
        }
    }

    /// <summary>
    /// A committing reservation: claim the order id with its lines, then convert every partition. A claim refused
    /// (the id belongs to another request, or nothing could be claimed) puts the reservation back to held.
    /// </summary>
    private async Task<HoldSettleOutcome> FinishCommitAsync(string reservationId, Order order, HoldHome home)
    {
        var claimed = await ClaimForCommitAsync(reservationId, order).ConfigureAwait(false);
        if (claimed.Outcome is { } refused)
        {
            // A claim home that cannot answer (rebuilding, refusing writes, SQL down) does not say the order id is
            // another's. Once a partition converted, giving up would release the rest while the claim may still name
            // every line (the order then answered pending with units back in stock): stay committing for a retry or
            // the loop instead.
            if (refused.Status == HoldSettleStatus.Unknown
                || (refused.Status == HoldSettleStatus.Unavailable && await AnyConvertedAsync(reservationId, order.OrderId, home).ConfigureAwait(false) is not false))
            {
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown, order.OrderId);
            }

            return await AbandonCommitAsync(reservationId, order.OrderId, home, refused).ConfigureAwait(false);
        }

        return await ConvertAsync(reservationId, order, claimed.Epoch, home).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether some partition converted: its hold record committed, or absent beside the order's record (rebuilt from
    /// SQL's commit row after the conversion); an order's record beside a hold record still held is another request's.
    /// Null when a partition did not answer. Read only: nothing is fenced, the commit goes on.
    /// </summary>
    private async Task<bool?> AnyConvertedAsync(string reservationId, string orderId, HoldHome home)
    {
        try
        {
            var states = await Task.WhenAll(home.Partitions.Select(async p =>
                (string?)await Db.HashGetAsync(_keys.HoldRecord(p, reservationId), "st").ConfigureAwait(false) switch
                {
                    "committed" => true,
                    null => (await Db.HashGetAsync(_keys.Record(p, orderId), "st").ConfigureAwait(false)) is { IsNull: false },
                    _ => false,
                })).ConfigureAwait(false);
            return states.Any(converted => converted);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return null;
        }
    }

    /// <summary>
    /// The order id can no longer take the reservation (cancelled, or taken by another request). If no partition
    /// converted, the reservation is held again (it may be released, expire, or commit under another order id).
    /// If some converted before the order was cancelled, the cancel restocks those (a conversion after the cancel's
    /// revert is refused, one before it is restocked by it); the partitions still held are released here, and the
    /// reservation ends committed to the cancelled order. Nothing is answered as committed either way.
    /// </summary>
    private async Task<HoldSettleOutcome> AbandonCommitAsync(string reservationId, string orderId, HoldHome home, HoldSettleOutcome refused)
    {
        // Fenced, not just read: a conversion under this order id sent earlier (by a slower attempt of this commit) may
        // still land, and once the reservation is held again it must not.
        var order = Order.Create(new DeductionRequest(orderId, home.Lines, CustomerOrNull(home.Customer)), _partitioner);
        var fences = await Task.WhenAll(home.Partitions.Select(p => TryPartAsync(p, () => Db.ScriptEvaluateAsync(RedisScripts.HoldCommit,
            [_keys.Stock(p), _keys.Sequences(p), _keys.Journal(p), _keys.Record(p, orderId), _keys.Marker(p), _keys.HoldRecord(p, reservationId), _keys.Held(p)],
            [orderId, reservationId, 0, _options.TtlSeconds, Order.FingerprintOf(order.LinesIn(p, _partitioner), order.CustomerId), home.Customer, "fence"])))).ConfigureAwait(false);
        if (fences.Any(f => f.Status is not ("held" or "committed" or "gone")))
        {
            return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown, orderId);
        }

        var states = fences.Select(f => f.Status).ToArray();
        if (!states.Any(st => st == "committed"))
        {
            return await SettleHoldAsync(reservationId, "uncommit", orderId).ConfigureAwait(false) is null
                ? HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown, orderId)
                : refused;
        }

        var stillHeld = home.Partitions.Where((_, i) => states[i] == "held").ToList();
        var recordTtl = HoldLimits.MaxTtlSeconds + _options.TtlSeconds;
        var replies = await Task.WhenAll(stillHeld.Select(p => TryPartAsync(p, () => Db.ScriptEvaluateAsync(RedisScripts.HoldRelease,
            [_keys.Stock(p), _keys.Sequences(p), _keys.Journal(p), _keys.HoldRecord(p, reservationId), _keys.Marker(p), _keys.Held(p), _keys.CustomerTaken(p, home.Customer)],
            [reservationId, "release", home.Attempt, recordTtl])))).ConfigureAwait(false);
        foreach (var reply in replies.Where(r => r.Status == "release"))
        {
            NoteStream(reply.Partition, reply.At(2));
        }

        if (replies.Any(r => r.Status is not ("release" or "done" or "committed"))
            || !await HoldReplicatedAsync(home.Partitions.Select(p => (p, _keys.HoldRecord(p, reservationId)))).ConfigureAwait(false))
        {
            return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown, orderId);
        }

        var settled = await SettleHoldAsync(reservationId, "committed", orderId, AbandonedCommit).ConfigureAwait(false);
        // A slower attempt that converted everything may have stored its 200 first: that answer stands.
        return settled?.At(0) == "ok" && settled.At(1) == "committed"
            ? CommitReplay(reservationId, order, settled.At(7))
            : refused;
    }

    /// <summary>Test hook: runs after every partition converted, before the reservation's home stores the answer.</summary>
    internal Func<Task>? BeforeCommitSettles { get; set; }

    /// <summary>The stored answer of a commit abandoned because its order was cancelled (or taken) midway.</summary>
    private const string AbandonedCommit = "-";

    private static HoldSettleOutcome CommitReplay(string reservationId, Order order, string? answer) => answer == AbandonedCommit
        ? HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Conflict, order.OrderId)
        : new HoldSettleOutcome(reservationId, HoldSettleStatus.Committed, MergeInOrder(order.Lines, SlotReply.ParseLines(answer)), order.OrderId, Replayed: true);

    private readonly record struct CommitClaim(long Epoch, HoldSettleOutcome? Outcome);

    /// <summary>
    /// Binds the order id to the reservation's lines (claim.lua), never fighting for it: an id open with other lines,
    /// deducted with others, restored from SQL, or cancelled is another request's, so the commit answers conflict. The claim stays out of the
    /// pending set even with several partitions: a commit only ever rolls forward (the units are already out of
    /// stock), so the abort sweep must not void it.
    /// </summary>
    private async Task<CommitClaim> ClaimForCommitAsync(string reservationId, Order order)
    {
        CommitClaim Done(HoldSettleStatus status) => new(0, HoldSettleOutcome.Simple(reservationId, status, order.OrderId));
        var mode = "new";
        for (var round = 0; round < MaxRounds; round++)
        {
            var home = _partitioner.HomeOf(order.OrderId);
            var claim = await AwaitClaimAsync(SendClaims(Db, home, [order], mode, sweepable: false), 0).ConfigureAwait(false);
            switch (claim.Status)
            {
                case ClaimStatus.Go:
                    return new CommitClaim(claim.Epoch, null);
                case ClaimStatus.Deducted when !claim.Restored:
                    // committed with these very lines: this commit's own, finished by an earlier attempt (a conversion
                    // replays), or another request's (the conversion finds the record deducted and refuses)
                    return new CommitClaim(claim.Epoch, null);
                case ClaimStatus.Seen:
                    var remembered = await RememberAsync(order.OrderId).ConfigureAwait(false);
                    if (remembered.Known is not { } known)
                    {
                        return new CommitClaim(0, new HoldSettleOutcome(reservationId, HoldSettleStatus.Unavailable, [], order.OrderId, Cause: remembered.Cause, RetryAfter: remembered.RetryAfter));
                    }

                    mode = known ? "new" : "force";
                    continue;
                case ClaimStatus.Lost:
                    return new CommitClaim(0, new HoldSettleOutcome(reservationId, HoldSettleStatus.Unavailable, [], order.OrderId, Cause: UnavailableCauses.Rebuilding, RetryAfter: UnavailableCauses.RebuildRetry));
                case ClaimStatus.Refused:
                    return new CommitClaim(0, new HoldSettleOutcome(reservationId, HoldSettleStatus.Unavailable, [], order.OrderId, Cause: claim.Refusal!.Cause, RetryAfter: claim.Refusal.RetryAfter));
                case ClaimStatus.Busy or ClaimStatus.Unknown:
                    return Done(HoldSettleStatus.Unknown);
                default:
                    return Done(HoldSettleStatus.Conflict);
            }
        }

        return Done(HoldSettleStatus.Unknown);
    }

    /// <summary>
    /// Each partition turns its held units into the order's record at the epoch; then a multi-partition claim commits
    /// and the reservation is committed. If no partition converted (the order id's records show another decision), the
    /// reservation goes back to held and the commit answers conflict; a partial conversion only rolls forward.
    /// </summary>
    private async Task<HoldSettleOutcome> ConvertAsync(string reservationId, Order order, long epoch, HoldHome home)
    {
        var orderId = order.OrderId;
        var replies = await Task.WhenAll(order.Partitions.Select(p => TryPartAsync(p, () => Db.ScriptEvaluateAsync(RedisScripts.HoldCommit,
            [_keys.Stock(p), _keys.Sequences(p), _keys.Journal(p), _keys.Record(p, orderId), _keys.Marker(p), _keys.HoldRecord(p, reservationId), _keys.Held(p)],
            [orderId, reservationId, epoch, _options.TtlSeconds, Order.FingerprintOf(order.LinesIn(p, _partitioner), order.CustomerId), home.Customer])))).ConfigureAwait(false);
        foreach (var reply in replies.Where(r => r.Status == "committed"))
        {
            NoteStream(reply.Partition, reply.At(3));
        }

        if (replies.All(r => r.Status == "committed"))
        {
            if (!order.IsSinglePartition && await SettleAsync(orderId, "commit", epoch, 0).ConfigureAwait(false) is null)
            {
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown, orderId);
            }

            // Once committed, the home answers replays and leaves the expiry set: a conversion (or the claim's commit) a
            // failover lost would never be made again, units held for ever or the order pending under a 200. Unconfirmed,
            // it stays committing and a retry or the loop claims, converts and settles again (each replays where it landed).
            var claimHome = _partitioner.HomeOf(orderId);
            if (!await HoldReplicatedAsync(order.Partitions.Select(p => (p, _keys.Record(p, orderId))).Append((claimHome, _keys.Claim(claimHome, orderId)))).ConfigureAwait(false))
            {
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown, orderId);
            }

            if (BeforeCommitSettles is { } hook)
            {
                await hook().ConfigureAwait(false);
            }

            var results = MergeInOrder(order.Lines, replies.SelectMany(r => SlotReply.ParseLines(r.At(1))));
            var settled = await SettleHoldAsync(reservationId, "committed", orderId, EncodeResults(results)).ConfigureAwait(false);
            return settled?.At(0) != "ok" ? HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown, orderId)
                // Another attempt stored the answer first (a retry that met the order cancelled stored 409): the stored
                // answer is the commit's, so this one answers it too rather than a 200 its replays would contradict.
                : settled.At(1) == "committed" ? CommitReplay(reservationId, order, settled.At(7))
                : new HoldSettleOutcome(reservationId, HoldSettleStatus.Committed, results, orderId, Replayed: replies.All(r => r.At(2) == "1"));
        }

        if (replies.All(r => r.Status is "committed" or "conflict" or "cancelled" or "fenced"))
        {
            // The order id's records refused (all, or some after others converted): the id is not this commit's.
            return await AbandonCommitAsync(reservationId, orderId, home, HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Conflict, orderId)).ConfigureAwait(false);
        }

        if (replies.FirstOrDefault(r => r.Status is "lost" or "refused") is { } refused)
        {
            return new HoldSettleOutcome(reservationId, HoldSettleStatus.Unavailable, [], orderId,
                Cause: refused.Refusal?.Cause ?? UnavailableCauses.Rebuilding, RetryAfter: refused.Refusal?.RetryAfter ?? UnavailableCauses.RebuildRetry);
        }

        // Some partition did not answer (or converted while another refused): committing stays, a retry or the loop finishes.
        return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown, orderId);
    }

    private async Task<HoldSettleOutcome> ReleaseOnceAsync(string reservationId)
    {
        var settled = await SettleHoldAsync(reservationId, "release").ConfigureAwait(false);
        if (settled?.At(0) == "absent")
        {
            var recall = await RecallIfForgottenAsync(reservationId).ConfigureAwait(false);
            if (recall.State == RecallState.Unavailable)
            {
                return new HoldSettleOutcome(reservationId, HoldSettleStatus.Unavailable, [], Cause: recall.Cause, RetryAfter: recall.RetryAfter);
            }

            settled = recall.State == RecallState.Restored ? await SettleHoldAsync(reservationId, "release").ConfigureAwait(false) : settled;
        }

        switch (settled?.At(0))
        {
            case null:
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown);
            case "ok":
                var home = ParseHome(settled);
                var released = await ReleasePartitionsAsync(reservationId, "release", home).ConfigureAwait(false);
                return released is { } lines
                    ? new HoldSettleOutcome(reservationId, HoldSettleStatus.Released, MergeInOrder(home.Lines, lines.Results), Replayed: !lines.Fresh)
                    : HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown);
            case "released":
                var lined = Order.Decode((string?)await Db.HashGetAsync(_keys.Hold(_partitioner.HoldHomeOf(reservationId), reservationId), "ln").ConfigureAwait(false));
                return new HoldSettleOutcome(reservationId, HoldSettleStatus.Released, MergeInOrder(lined, SlotReply.ParseLines(settled.At(1))), Replayed: true);
            case "committed":
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Committed);
            case "committing":
                // Committed once a partition converted (the commit then only rolls forward or ends committed); before,
                // it may still give up and hold the reservation again, so 409 committed would be false: 503 unknown.
                var committing = ParseHome(settled);
                return await AnyConvertedAsync(reservationId, committing.OrderId, committing).ConfigureAwait(false) is true
                    ? HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Committed)
                    : HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Unknown);
            case "expired":
                // Past expiresAt the loop may not have run yet: expire it here, so 409 expired means the units are back
                // (when a partition cannot answer now, the loop finishes it).
                await ExpireOneAsync(reservationId).ConfigureAwait(false);
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.Expired);
            default:
                return HoldSettleOutcome.Simple(reservationId, HoldSettleStatus.NotFound);
        }
    }

    private sealed record Released(IReadOnlyList<LineResult> Results, bool Fresh);

    /// <summary>
    /// hold_release.lua in every partition of a releasing or expiring reservation, then its home moves to released or
    /// expired. Null when a partition did not answer: the state stays, and the expiry loop rolls it forward.
    /// </summary>
    private async Task<Released?> ReleasePartitionsAsync(string reservationId, string kind, HoldHome home)
    {
        var recordTtl = HoldLimits.MaxTtlSeconds + _options.TtlSeconds;
        var replies = await Task.WhenAll(home.Partitions.Select(p => TryPartAsync(p, () => Db.ScriptEvaluateAsync(RedisScripts.HoldRelease,
            [_keys.Stock(p), _keys.Sequences(p), _keys.Journal(p), _keys.HoldRecord(p, reservationId), _keys.Marker(p), _keys.Held(p), _keys.CustomerTaken(p, home.Customer)],
            [reservationId, kind, home.Attempt, recordTtl])))).ConfigureAwait(false);
        foreach (var reply in replies.Where(r => r.Status == kind))
        {
            NoteStream(reply.Partition, reply.At(2));
        }

        // A final home answers replays and leaves the expiry set: a restock (or tombstone) a failover lost would never
        // be made again. Unconfirmed, the home stays releasing or expiring and the loop drives every partition again.
        if (replies.Any(r => r.Status is not ("release" or "expire" or "done" or "none"))
            || !await HoldReplicatedAsync(home.Partitions.Select(p => (p, _keys.HoldRecord(p, reservationId)))).ConfigureAwait(false))
        {
            return null;
        }

        var results = replies.SelectMany(r => SlotReply.ParseLines(r.At(1))).ToList();
        var finished = await SettleHoldAsync(reservationId, "finish", EncodeResults(results), home.Attempt).ConfigureAwait(false);
        // Parallel releases may each restock a partition; the answer that moved the home to released is the first.
        return finished is null ? null : new Released(results, finished.At(0) == "ok");
    }

    public async Task<HoldView?> GetHoldAsync(string reservationId, CancellationToken cancellationToken = default)
    {
        var h = await Db.HashGetAsync(_keys.Hold(_partitioner.HoldHomeOf(reservationId), reservationId), ["st", "x", "o", "ln", "rf", "res"]).ConfigureAwait(false);
        var state = (string?)h[0];
        if (state is null)
        {
            return await EndedHoldFromLedgerAsync(reservationId, cancellationToken).ConfigureAwait(false);
        }

        if ((string?)h[4] == "1" || h[5].IsNull)
        {
            // never answered 200 (refused, or still in flight)
            return null;
        }

        var expiresAt = ExpiresAt((long)h[1]);
        var view = state switch
        {
            // expiresAt passed: the loop returns the units within a second or two, and no commit can succeed any more
            "held" when expiresAt <= _time.GetUtcNow() => HoldState.Expired,
            "held" or "committing" => HoldState.Held,
            "committed" => HoldState.Committed,
            "expiring" or "expired" => HoldState.Expired,
            _ => HoldState.Released,
        };
        return new HoldView(reservationId, view, expiresAt, Order.Decode((string?)h[3]), view == HoldState.Committed ? (string?)h[2] : null);
    }

    public async Task<int> ExpireHoldsAsync(CancellationToken cancellationToken = default)
    {
        const int page = 100;
        var done = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<(string ReservationId, Exception Error)>();
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var home = 0; home < _partitioner.Count; home++)
        {
            // A page at a time, each page's reservations at once (each is its own keys), until the due ones run out:
            // a flash sale's holds all expire together, and each must be back within seconds.
            for (var round = 0; round < 20; round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var due = await Db.SortedSetRangeByScoreAsync(_keys.HoldExpiry(home), double.NegativeInfinity, now, take: page).ConfigureAwait(false);
                var finished = await Task.WhenAll(due.Select(member => IsolatedAsync((string)member!))).ConfigureAwait(false);
                done += finished.Count(f => f);
                if (due.Length < page)
                {
                    break;
                }
            }
        }

        // One reservation that cannot be rolled forward must not keep the others of its page and the later homes from
        // expiring: each is tried, and the run then fails with the first error so the loop or timer reports it.
        if (failures.TryPeek(out var first))
        {
            throw new InvalidOperationException(
                $"{failures.Count} due reservation(s) could not be rolled forward ({done} others were); first: {first.ReservationId}", first.Error);
        }

        return done;

        async Task<bool> IsolatedAsync(string reservationId)
        {
            try
            {
                return await ExpireOneAsync(reservationId).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Enqueue((reservationId, e));
                return false;
            }
        }
    }

    /// <summary>
    /// A due reservation: held past expiresAt expires; one left releasing, expiring or committing by a process that
    /// died rolls forward (the expire action re-arms its retry time first, so a slow live request is not raced often).
    /// </summary>
    private async Task<bool> ExpireOneAsync(string reservationId)
    {
        var settled = await SettleHoldAsync(reservationId, "expire").ConfigureAwait(false);
        if (settled?.At(0) != "ok")
        {
            return false;
        }

        var home = ParseHome(settled);
        switch (home.State)
        {
            case "committing":
                var order = Order.Create(new DeductionRequest(home.OrderId, home.Lines, CustomerOrNull(home.Customer)), _partitioner);
                return (await FinishCommitAsync(reservationId, order, home).ConfigureAwait(false)).Status is HoldSettleStatus.Committed or HoldSettleStatus.Conflict
                    && await HoldReplicatedAsync(CommitKeys(reservationId, home.OrderId, home.Partitions)).ConfigureAwait(false);
            case "releasing":
                return await ReleasePartitionsAsync(reservationId, "release", home).ConfigureAwait(false) is not null
                    && await HoldReplicatedAsync(HoldKeys(reservationId, home.Partitions)).ConfigureAwait(false);
            default:
                return await ReleasePartitionsAsync(reservationId, "expire", home).ConfigureAwait(false) is not null
                    && await HoldReplicatedAsync(HoldKeys(reservationId, home.Partitions)).ConfigureAwait(false);
        }
    }

    private sealed record SettleReply(RedisResult[] Items)
    {
        public string At(int i) => Items.Length > i ? (string?)Items[i] ?? "" : "";
    }

    /// <summary>hold_settle.lua on the reservation's home; null when Redis did not answer.</summary>
    private async Task<SettleReply?> SettleHoldAsync(string reservationId, string action, params RedisValue[] extra)
    {
        var home = _partitioner.HoldHomeOf(reservationId);
        RedisValue[] args = [reservationId, action, (long)_options.RecoverAfter.TotalMilliseconds, .. extra];
        try
        {
            return new SettleReply((RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.HoldSettle, [_keys.Hold(home, reservationId), _keys.HoldExpiry(home)], args).ConfigureAwait(false))!);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return null;
        }
    }

    /// <summary>{'ok', stateBefore, lines, partitions, customerId, attempt, orderId, answer} from hold_settle.lua.</summary>
    private static HoldHome ParseHome(SettleReply reply) =>
        new(reply.At(1), Order.Decode(reply.At(2)), ClaimReply.PartitionList(reply.At(3)), reply.At(4), Long(reply.At(5)), reply.At(6), reply.At(7));

    private async Task<PartReply> TryPartAsync(int partition, Func<Task<RedisResult>> send)
    {
        try
        {
            var items = (RedisResult[])(await send().ConfigureAwait(false))!;
            return new PartReply(partition, (string?)items[0] ?? "", items);
        }
        catch (Exception e) when (RedisFailures.RefusalOf(e) is { } refusal)
        {
            Refusals.Note(refusal);
            return new PartReply(partition, "refused", [], refusal);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return new PartReply(partition, "no_answer", []);
        }
    }

    private void NoteStream(int partition, string streamId)
    {
        if (streamId.Length > 0)
        {
            _activity.Appended(partition, streamId);
        }
    }

    private static DateTimeOffset ExpiresAt(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);

    private static long Long(string? text) => string.IsNullOrEmpty(text) ? 0 : long.Parse(text, CultureInfo.InvariantCulture);

    private static string? CustomerOrNull(string? customer) => string.IsNullOrEmpty(customer) ? null : customer;
}
