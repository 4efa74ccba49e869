using Inventory.Domain;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

public sealed partial class RedisInventoryStore
{
    public async Task<DeductionOutcome?> FindReplayAsync(Order order, CancellationToken cancellationToken = default)
    {
        var view = await GetOrderAsync(order.OrderId, cancellationToken).ConfigureAwait(false);
        return view is null || view.State == OrderState.Pending ? null : await AnswerFromViewAsync(order, view).ConfigureAwait(false);
    }

    /// <summary>
    /// After a timeout: what Redis shows of this order, read with plain reads (a write stall does not block them).
    /// Null when it shows no decision for these lines.
    /// </summary>
    private async Task<DeductionOutcome?> ReadDecidedAsync(Order order)
    {
        try
        {
            var view = await GetOrderAsync(order.OrderId).ConfigureAwait(false);
            return view is null || view.State == OrderState.Pending ? null : await AnswerFromViewAsync(order, view).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return null;
        }
    }

    private async Task<DeductionOutcome> AnswerFromViewAsync(Order order, OrderView view)
    {
        if (view.State == OrderState.Cancelled)
        {
            return DeductionOutcome.Simple(order.OrderId, DeductionStatus.Cancelled);
        }

        return Order.FingerprintOf(view.Lines, view.CustomerId) != order.Fingerprint
            ? DeductionOutcome.Simple(order.OrderId, DeductionStatus.Conflict)
            : await ReplayAsync(order, restored: view.Deducted is not null).ConfigureAwait(false);
    }

    /// <summary>
    /// The order as Redis holds it: a committed or restored claim, or an open single-partition claim whose record
    /// deducted; a cancelled claim counts if anything was (or is being) restocked. Null if Redis holds no order.
    /// </summary>
    public async Task<OrderView?> GetOrderAsync(string orderId, CancellationToken cancellationToken = default)
    {
        var home = _partitioner.HomeOf(orderId);
        var claim = await Db.HashGetAsync(_keys.Claim(home, orderId), ["st", "fp", "ln", "pt", "r", "res"]).ConfigureAwait(false);
        var state = (string?)claim[0];
        if (state is null or "tomb" or "aborting" or "aborted")
        {
            return null;
        }

        var lines = Order.Decode((string?)claim[2]);
        var customer = Order.CustomerOf((string?)claim[1]);
        var restored = (string?)claim[4];
        // Restored claims carry the ledger's results; the view only marks them so replays read the claim.
        IReadOnlyList<LineResult>? fromLedger = restored is "1" or "c" ? SlotReply.ParseLines((string?)claim[5]) : null;
        var partitions = ClaimReply.PartitionList((string?)claim[3] ?? "");
        switch (state)
        {
            case "deducted":
                return new OrderView(orderId, OrderState.Deducted, lines, false, fromLedger, CustomerId: customer);
            case "open" when partitions.Length > 1:
                return new OrderView(orderId, OrderState.Pending, lines, false, CustomerId: customer);
            case "open":
                var record = await Db.HashGetAsync(_keys.Record(partitions[0], orderId), ["st", "ln"]).ConfigureAwait(false);
                return (string?)record[0] == "deducted" && (string?)record[1] == (string?)claim[1]
                    ? new OrderView(orderId, OrderState.Deducted, lines, false, CustomerId: customer)
                    : null;
        }

        // cancelled
        if (restored is "1" or "c")
        {
            return new OrderView(orderId, OrderState.Cancelled, lines, false, fromLedger, CustomerId: customer);
        }

        var records = await Task.WhenAll(partitions.Select(p => Db.HashGetAsync(_keys.Record(p, orderId), ["st", "cres"]))).ConfigureAwait(false);
        var stood = records.Any(r => (string?)r[0] == "deducted" || ((string?)r[0] == "cancelled" && !r[1].IsNullOrEmpty));
        return stood ? new OrderView(orderId, OrderState.Cancelled, lines, false, CustomerId: customer) : null;
    }

    /// <summary>
    /// Cancel: the claim becomes cancelled for ever, then every partition restocks what it deducted, once. An id Redis
    /// forgot but the seen filter knows is looked up in SQL first, so a cancel after the TTL restocks once, ever.
    /// </summary>
    public async Task<CancelOutcome> CancelAsync(string orderId, CancellationToken cancellationToken = default)
    {
        var (outcome, partitions) = await CancelOnceAsync(orderId).ConfigureAwait(false);
        return await CloseCancelAsync(orderId, outcome, partitions).ConfigureAwait(false);
    }

    /// <summary>The cancel's outcome and the partitions it reverted (none unless cancel.lua decided it).</summary>
    private async Task<(CancelOutcome Outcome, int[] Partitions)> CancelOnceAsync(string orderId)
    {
        var mode = "new";
        for (var round = 0; round < MaxRounds; round++)
        {
            RedisResult[] claim;
            try
            {
                claim = (RedisResult[])(await SendCancel(orderId, mode).ConfigureAwait(false))!;
            }
            catch (Exception e) when (RedisFailures.RefusalOf(e) is { } refusal)
            {
                // cancel.lua never ran: the claim is as it was, nothing restocked.
                Refusals.Note(refusal);
                return (new CancelOutcome(orderId, CancelStatus.Unavailable, [], Cause: refusal.Cause, RetryAfter: refusal.RetryAfter), []);
            }
            catch (Exception e) when (RedisFailures.IsTransient(e))
            {
                return (new CancelOutcome(orderId, CancelStatus.Unknown, []), []);
            }

            string At(int i) => claim.Length > i ? (string?)claim[i] ?? "" : "";
            switch (At(0))
            {
                case "tomb":
                    return (new CancelOutcome(orderId, CancelStatus.NotFound, []), []);
                case "lost":
                    // cancel.lua refuses before touching anything while the home partition is rebuilt.
                    return (new CancelOutcome(orderId, CancelStatus.Unavailable, [], Cause: UnavailableCauses.Rebuilding, RetryAfter: UnavailableCauses.RebuildRetry), []);
                case "seen":
                    var remembered = await RememberAsync(orderId).ConfigureAwait(false);
                    if (remembered.Known is not { } known)
                    {
                        return (new CancelOutcome(orderId, CancelStatus.Unavailable, [], Cause: remembered.Cause, RetryAfter: remembered.RetryAfter), []);
                    }

                    mode = known ? "new" : "force";
                    continue;
                default:
                    var partitions = ClaimReply.PartitionList(At(1));
                    return (await RevertAllAsync(orderId, partitions, At(2), Order.Decode(At(3)), At(4), Order.Decode(At(5))).ConfigureAwait(false), partitions);
            }
        }

        return (new CancelOutcome(orderId, CancelStatus.Unknown, []), []);
    }

    private async Task<CancelOutcome> RevertAllAsync(string orderId, int[] partitions, string restored, IReadOnlyList<OrderLine> lines, string results, IReadOnlyList<OrderLine> returned)
    {
        if (restored == "c")
        {
            // SQL says this cancel restocked long ago: answer it again, restock nothing.
            return new CancelOutcome(orderId, CancelStatus.Cancelled, SlotReply.ParseLines(results), Replayed: true);
        }

        RedisResult[][] reverts;
        try
        {
            reverts = await Task.WhenAll(partitions.Select(p => RevertAsync(orderId, p, "cancel", 0, askIfAbsent: true))).ConfigureAwait(false);
            if (reverts.Any(r => (string?)r[0] == "absent"))
            {
                // A partition without a record (the claim outlived it, or was restored from SQL): what SQL's ledger
                // says is still sold there is restocked, once; nothing if SQL holds no deduction standing there.
                var (outstanding, customer) = await OutstandingInLedgerAsync(orderId).ConfigureAwait(false);
                if (outstanding is null)
                {
                    return new CancelOutcome(orderId, CancelStatus.Unknown, []);
                }

                for (var i = 0; i < partitions.Length; i++)
                {
                    if ((string?)reverts[i][0] == "absent")
                    {
                        var here = outstanding.Where(l => _partitioner.PartitionOf(l.Sku) == partitions[i]).Select(l => new LineResult(l.Sku, l.Quantity, 0));
                        reverts[i] = await RevertAsync(orderId, partitions[i], "cancel", 0, EncodeResults(here), customerId: customer).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception e) when (RedisFailures.IsTransient(e) || e is PartitionLostException)
        {
            return new CancelOutcome(orderId, CancelStatus.Unknown, []);
        }

        var restocked = new Dictionary<string, LineResult>(StringComparer.Ordinal);
        foreach (var line in reverts.Where(r => (string?)r[0] is "cancel" or "cancelled").SelectMany(r => SlotReply.ParseLines((string?)r[1])))
        {
            restocked[line.Sku] = line;
        }

        if (restocked.Count == 0)
        {
            // Never deducted (refused, aborted, or not landed yet: now it never will).
            return new CancelOutcome(orderId, CancelStatus.NotFound, []);
        }

        var replayed = !reverts.Any(r => (string?)r[0] == "cancel");
        var ordered = lines.Where(l => restocked.ContainsKey(l.Sku)).Select(l => restocked[l.Sku]).ToList();
        return new CancelOutcome(orderId, CancelStatus.Cancelled, ordered, replayed);
    }

    /// <summary>The units SQL's ledger says are still sold per SKU (deducted, less returns, not cancelled), and whose; null if SQL did not answer.</summary>
    private async Task<(IReadOnlyList<OrderLine>? Lines, string? CustomerId)> OutstandingInLedgerAsync(string orderId)
    {
        try
        {
            var view = await _ledger.FindAsync(orderId).ConfigureAwait(false);
            return (view?.Outstanding ?? [], view?.CustomerId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// Takes a decided cancel out of the open cancels once every partition answered and, with durable
    /// acknowledgements, a replica of every primary it wrote confirmed it. Until then the sweep drives it again: a
    /// restock (or a mark that fences a deduction still in flight) that a failover loses is done once more, and
    /// revert.lua restocks each record at most once. A failure to take it out only costs the sweep a replay.
    /// </summary>
    private async Task<CancelOutcome> CloseCancelAsync(string orderId, CancelOutcome outcome, int[] partitions)
    {
        if (partitions.Length == 0 || outcome.Status is not (CancelStatus.Cancelled or CancelStatus.NotFound))
        {
            return outcome;
        }

        // As for deductions: a restock answered 200 must survive a failover, so a replica of every primary it wrote
        // confirms it first; otherwise 503 unknown, and it stands. Every partition of the order, not only those that
        // restocked: where revert.lua only marked the record cancelled, that mark fences a deduction still in flight.
        var written = partitions.Concat(outcome.Lines.Select(l => _partitioner.PartitionOf(l.Sku))).Append(_partitioner.HomeOf(orderId));
        if (!await ReplicatedAsync(written).ConfigureAwait(false))
        {
            return outcome.Status == CancelStatus.Cancelled ? new CancelOutcome(orderId, CancelStatus.Unknown, []) : outcome;
        }

        try
        {
            await Db.SortedSetRemoveAsync(_keys.OpenCancels(_partitioner.HomeOf(orderId)), orderId).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
        }

        return outcome;
    }

    /// <summary>
    /// Finishes cancels decided on the claim longer than RecoverAfter ago whose partitions did not all answer (the
    /// process died, a partition was down), and those a rebuild of their lost home put back from SQL: their claim is
    /// absent, and cancel.lua asks SQL through the seen filter, which restores it (rule 8) before it reverts.
    /// </summary>
    private async Task<int> FinishOpenCancelsAsync(int home, long cutoff, CancellationToken cancellationToken)
    {
        var finished = 0;
        var stale = await Db.SortedSetRangeByScoreAsync(_keys.OpenCancels(home), double.NegativeInfinity, cutoff, take: 100).ConfigureAwait(false);
        foreach (var member in stale)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var orderId = (string)member!;
            if ((string?)await Db.HashGetAsync(_keys.Claim(home, orderId), "st").ConfigureAwait(false) is not (null or "cancelled"))
            {
                // A tomb (a cancel of an id SQL did not know): nothing to drive.
                await Db.SortedSetRemoveAsync(_keys.OpenCancels(home), member).ConfigureAwait(false);
                continue;
            }

            var (outcome, partitions) = await CancelOnceAsync(orderId).ConfigureAwait(false);
            var closed = await CloseCancelAsync(orderId, outcome, partitions).ConfigureAwait(false);
            if (closed.Status is CancelStatus.Cancelled or CancelStatus.NotFound)
            {
                if (partitions.Length == 0)
                {
                    await Db.SortedSetRemoveAsync(_keys.OpenCancels(home), member).ConfigureAwait(false);
                }

                finished++;
            }
        }

        return finished;
    }

    private Task<RedisResult> SendCancel(string orderId, string mode)
    {
        var home = _partitioner.HomeOf(orderId);
        var args = new RedisValue[3 + SeenFilter.Hashes];
        args[0] = orderId;
        args[1] = _options.TtlSeconds;
        args[2] = mode;
        _seen.Fill(orderId, args, 3);
        return Db.ScriptEvaluateAsync(RedisScripts.Cancel, [_keys.Claim(home, orderId), _keys.Pending(home), _keys.Seen(home), _keys.Marker(home), _keys.OpenCancels(home)], args);
    }

    public async Task<int> RecoverAbandonedOrdersAsync(CancellationToken cancellationToken = default)
    {
        var recovered = 0;
        var failures = new List<(int Home, Exception Error)>();
        var cutoff = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.RecoverAfter.TotalMilliseconds;
        for (var home = 0; home < _partitioner.Count; home++)
        {
            try
            {
                recovered += await RecoverHomeAsync(home, cutoff, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add((home, e));
            }
        }

        // A home whose primary is down or failing over must not keep the others' cancels, returns and abandoned
        // claims waiting for it: each home is swept, and the run then fails with the first error so the loop or timer
        // reports it.
        if (failures.Count > 0)
        {
            throw new InvalidOperationException(
                $"{failures.Count} home partition(s) could not be swept ({recovered} orders were recovered elsewhere); first: {failures[0].Home}", failures[0].Error);
        }

        return recovered;
    }

    private async Task<int> RecoverHomeAsync(int home, long cutoff, CancellationToken cancellationToken)
    {
        var recovered = await FinishOpenReturnsAsync(home, cutoff, cancellationToken).ConfigureAwait(false);
        recovered += await FinishOpenCancelsAsync(home, cutoff, cancellationToken).ConfigureAwait(false);
        var stale = await Db.SortedSetRangeByScoreAsync(_keys.Pending(home), double.NegativeInfinity, cutoff, take: 100).ConfigureAwait(false);
        foreach (var id in stale)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (await RecoverAsync(home, (string)id!).ConfigureAwait(false))
            {
                recovered++;
            }
        }

        return recovered;
    }

    /// <summary>An open multi-partition claim whose latest attempt is older than RecoverAfter: abort it and void its epoch.</summary>
    private async Task<bool> RecoverAsync(int home, string orderId)
    {
        var epoch = (long?)await Db.HashGetAsync(_keys.Claim(home, orderId), "e").ConfigureAwait(false) ?? 0;
        var settled = await SettleAsync(orderId, "abort", epoch, (long)_options.RecoverAfter.TotalMilliseconds).ConfigureAwait(false);
        if (settled is not { Ok: true })
        {
            return false;
        }

        return await VoidEpochAsync(orderId, ClaimReply.PartitionList(settled.Partitions), epoch).ConfigureAwait(false);
    }
}
