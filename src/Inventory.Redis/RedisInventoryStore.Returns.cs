using System.Globalization;
using Inventory.Domain;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

public sealed partial class RedisInventoryStore
{
    /// <summary>
    /// A return: bound and counted on the order's claim first (return_claim.lua: idempotency by return id, the
    /// returnable check over every line, exclusion with cancel), then restocked in each partition (return_apply.lua,
    /// idempotent per return id, journaled as 'return'), then closed (return_finish.lua). A return stopped midway
    /// stays open on the claim side; a retry or the recovery sweep rolls it forward. docs/redis-keys.md, "Returns".
    /// </summary>
    public async Task<ReturnOutcome> ReturnAsync(ReturnRequest request, CancellationToken cancellationToken = default)
    {
        // Summed per SKU with the same rules as an order's lines; the return id stands in for the order id.
        var lines = Order.Create(new DeductionRequest(request.ReturnId, request.Lines), _partitioner);
        var mode = "new";
        for (var round = 0; round < MaxRounds; round++)
        {
            RedisResult[] reply;
            try
            {
                var verified = await VerifiedFingerprintAsync(request.OrderId).ConfigureAwait(false);
                reply = (RedisResult[])(await SendReturnClaim(request, lines, mode, verified).ConfigureAwait(false))!;
            }
            catch (Exception e) when (RedisFailures.RefusalOf(e) is { } refusal)
            {
                // return_claim.lua never ran: nothing is reserved or restocked under this return id.
                Refusals.Note(refusal);
                return ReturnOutcome.Unavailable(request, refusal.Cause, refusal.RetryAfter);
            }
            catch (Exception e) when (RedisFailures.IsTransient(e))
            {
                return ReturnOutcome.Simple(request, ReturnStatus.Unknown);
            }

            string At(int i) => reply.Length > i ? (string?)reply[i] ?? "" : "";
            switch (At(0))
            {
                case "go":
                    return await ApplyReturnAsync(request.OrderId, request.ReturnId, lines, request.Reason).ConfigureAwait(false);
                case "done":
                    return new ReturnOutcome(request.OrderId, request.ReturnId, ReturnStatus.Returned, MergeInOrder(lines.Lines, SlotReply.ParseLines(At(1))), Replayed: true);
                case "cancelled":
                    return ReturnOutcome.Simple(request, ReturnStatus.Cancelled);
                case "conflict":
                    return ReturnOutcome.Simple(request, ReturnStatus.Conflict);
                case "exceeds":
                    return new ReturnOutcome(request.OrderId, request.ReturnId, ReturnStatus.Exceeds, [], Exceeds: ParseExceeds(reply));
                case "unknown":
                    return ReturnOutcome.Simple(request, ReturnStatus.NotFound);
                case "seen":
                    var remembered = await RememberAsync(request.OrderId).ConfigureAwait(false);
                    if (remembered.Known is not { } known)
                    {
                        return ReturnOutcome.Unavailable(request, remembered.Cause, remembered.RetryAfter);
                    }

                    mode = known ? "new" : "force";
                    continue;
                case "lost":
                    // return_claim.lua refuses before touching anything while the home partition is rebuilt.
                    return ReturnOutcome.Unavailable(request, UnavailableCauses.Rebuilding, UnavailableCauses.RebuildRetry);
                default:
                    return ReturnOutcome.Simple(request, ReturnStatus.Unavailable);
            }
        }

        return ReturnOutcome.Simple(request, ReturnStatus.Unknown);
    }

    /// <summary>
    /// The claim's fingerprint if the claim is an open single-partition claim whose record deducted with its lines
    /// (read with plain reads); otherwise "". return_claim.lua accepts an open claim only with this proof, because
    /// the record lives in another partition than the claim.
    /// </summary>
    private async Task<string> VerifiedFingerprintAsync(string orderId)
    {
        var home = _partitioner.HomeOf(orderId);
        var claim = await Db.HashGetAsync(_keys.Claim(home, orderId), ["st", "fp", "pt"]).ConfigureAwait(false);
        if ((string?)claim[0] != "open" || ((string?)claim[2] ?? "").Contains(' ', StringComparison.Ordinal) || claim[2].IsNullOrEmpty)
        {
            return "";
        }

        var partition = int.Parse((string)claim[2]!, CultureInfo.InvariantCulture);
        var record = await Db.HashGetAsync(_keys.Record(partition, orderId), ["st", "ln"]).ConfigureAwait(false);
        return (string?)record[0] == "deducted" && (string?)record[1] == (string?)claim[1] ? (string)claim[1]! : "";
    }

    /// <summary>
    /// Restocks every partition's part of a return reserved on the claim, then closes it. Any partition without an
    /// answer leaves the return open (503 unknown): the same id retried, or the sweep, finishes it.
    /// </summary>
    private async Task<ReturnOutcome> ApplyReturnAsync(string orderId, string returnId, Order lines, string reason)
    {
        var request = new ReturnRequest(orderId, returnId, lines.Lines, reason);
        List<RedisResult[]> replies;
        try
        {
            replies = (await Task.WhenAll(lines.Partitions.Select(p => SendReturnApply(p, orderId, returnId, lines.LinesIn(p, _partitioner), reason))).ConfigureAwait(false))
                .Select(r => (RedisResult[])r!).ToList();
        }
        catch (Exception e) when (RedisFailures.RefusalOf(e) is { } refusal)
        {
            // Reserved on the claim but refused in a partition: the return stays open; a retry or the sweep finishes it.
            Refusals.Note(refusal);
            return ReturnOutcome.Simple(request, ReturnStatus.Unknown);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return ReturnOutcome.Simple(request, ReturnStatus.Unknown);
        }

        var states = replies.Select(r => (string?)r[0]).ToList();
        if (states.Any(s => s is not ("returned" or "cancelled")))
        {
            // 'lost' (partition being rebuilt), or a record that does not hold the deduction: leave it open.
            return ReturnOutcome.Simple(request, ReturnStatus.Unknown);
        }

        for (var i = 0; i < replies.Count; i++)
        {
            if (replies[i].Length > 3 && (string?)replies[i][3] is { } streamId)
            {
                _activity.Appended(lines.Partitions[i], streamId);
            }
        }

        var returned = replies.Where(r => (string?)r[0] == "returned").SelectMany(r => SlotReply.ParseLines((string?)r[1])).ToList();
        var cancelled = states.Contains("cancelled");
        try
        {
            var home = _partitioner.HomeOf(orderId);
            await Db.ScriptEvaluateAsync(RedisScripts.ReturnFinish, [_keys.Return(home, orderId, returnId), _keys.OpenReturns(home)],
                [orderId + " " + returnId, cancelled ? "cancelled" : "done", EncodeResults(returned)]).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            // Every partition answered, so the answer stands; the sweep closes the return (its replays are idempotent).
        }

        return cancelled
            ? ReturnOutcome.Simple(request, ReturnStatus.Cancelled)
            : new ReturnOutcome(orderId, returnId, ReturnStatus.Returned, MergeInOrder(lines.Lines, returned), Replayed: replies.All(r => (string?)r[2] == "1"));
    }

    /// <summary>Rolls forward returns reserved on a claim but left unfinished for longer than RecoverAfter (the process died).</summary>
    private async Task<int> FinishOpenReturnsAsync(int home, long cutoff, CancellationToken cancellationToken)
    {
        var finished = 0;
        var stale = await Db.SortedSetRangeByScoreAsync(_keys.OpenReturns(home), double.NegativeInfinity, cutoff, take: 100).ConfigureAwait(false);
        foreach (var member in stale)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var parts = ((string)member!).Split(' ');
            var (orderId, returnId) = (parts[0], parts[1]);
            var open = await Db.HashGetAsync(_keys.Return(home, orderId, returnId), ["st", "ln"]).ConfigureAwait(false);
            if ((string?)open[0] != "open")
            {
                await Db.SortedSetRemoveAsync(_keys.OpenReturns(home), member).ConfigureAwait(false);
                continue;
            }

            var lines = Order.Create(new DeductionRequest(returnId, Order.Decode((string?)open[1])), _partitioner);
            if ((await ApplyReturnAsync(orderId, returnId, lines, "").ConfigureAwait(false)).Status is ReturnStatus.Returned or ReturnStatus.Cancelled)
            {
                finished++;
            }
        }

        return finished;
    }

    private Task<RedisResult> SendReturnClaim(ReturnRequest request, Order lines, string mode, string verified)
    {
        var home = _partitioner.HomeOf(request.OrderId);
        var args = new RedisValue[7 + SeenFilter.Hashes];
        args[0] = request.OrderId;
        args[1] = request.ReturnId;
        args[2] = lines.Fingerprint;
        args[3] = lines.EncodedLines;
        args[4] = _options.TtlSeconds;
        args[5] = mode;
        args[6] = verified;
        _seen.Fill(request.OrderId, args, 7);
        return Db.ScriptEvaluateAsync(RedisScripts.ReturnClaim,
            [_keys.Claim(home, request.OrderId), _keys.Return(home, request.OrderId, request.ReturnId), _keys.OpenReturns(home), _keys.Seen(home), _keys.Marker(home)], args);
    }

    private Task<RedisResult> SendReturnApply(int partition, string orderId, string returnId, IReadOnlyList<OrderLine> lines, string reason)
    {
        var args = new RedisValue[4 + (2 * lines.Count)];
        args[0] = orderId;
        args[1] = returnId;
        args[2] = _options.TtlSeconds;
        args[3] = reason;
        for (var i = 0; i < lines.Count; i++)
        {
            args[4 + (2 * i)] = lines[i].Sku;
            args[5 + (2 * i)] = lines[i].Quantity;
        }

        return Db.ScriptEvaluateAsync(RedisScripts.ReturnApply, _keys.PartitionKeys(partition, orderId), args);
    }

    private static List<ExceedingLine> ParseExceeds(RedisResult[] reply)
    {
        var lines = new List<ExceedingLine>();
        for (var i = 1; i + 2 < reply.Length; i += 3)
        {
            lines.Add(new ExceedingLine((string)reply[i]!, long.Parse((string)reply[i + 1]!, CultureInfo.InvariantCulture), long.Parse((string)reply[i + 2]!, CultureInfo.InvariantCulture)));
        }

        return lines;
    }
}
