using System.Globalization;
using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Redis;
using Inventory.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Hosting;

public sealed class RedisRecoveryOptions
{
    /// <summary>How often markers and replication ids are checked: the window in which a failover can go unnoticed.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a rebuild waits for the engine to persist what survived of a lost partition's journal.</summary>
    public TimeSpan DrainWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a rebuild lock lives without renewal: how soon another instance takes over from one that died.</summary>
    public TimeSpan LockTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a running rebuild logs its progress (and renews its locks).</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Record restores in flight at once (pipelined): bounds memory and Redis's queue, not correctness.</summary>
    public int RestoreBatch { get; set; } = 2000;
}

/// <summary>
/// Finds partitions whose marker is gone and rebuilds them from SQL before they sell again, in the background: the
/// host serves from its first second, intact partitions keep selling, and health reports the progress. Per lost
/// partition: let the engine persist what survives of its journal, put back stock and sequences where SQL is newer,
/// refill its seen filter from every order id SQL holds whose home it is, restore the records of orders SQL holds
/// within the idempotency TTL (with the units returns restocked since, the records' <c>ret</c> totals, so a cancel or
/// a return never restocks them twice), then mark it. Claims are not restored here: an absent claim whose id the
/// refilled filter knows is restored from SQL, with its return totals and finished returns, when its order is next
/// asked about (deduction, cancel or return; docs/redis-keys.md, rule 11). Partitions
/// go smallest first, each opened as soon as it is done; a lock in Redis makes one instance rebuild a partition at a
/// time. Before SQL holds any history (a new deployment) partitions are simply marked; without SQL there is nothing
/// to rebuild from, so partitions are marked as found.
/// </summary>
public sealed partial class RedisRecovery(
    RedisPartitionGuard guard, RedisOptions redisOptions, Partitioner partitioner, RedisRecoveryOptions options,
    RedisRebuildProgress progress, ILogger<RedisRecovery> logger, TimeProvider time, ILedgerReader? ledger = null, IJournal? journal = null) : BackgroundService
{
    /// <summary>Names this process on rebuild locks.</summary>
    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    private Dictionary<int, string>? _identities;
    private Task? _rebuild;

    // Nothing runs before the host serves: a rebuild of minutes must not keep Kestrel from listening, and health
    // must answer (unhealthy, with progress) throughout. The first check runs at once in the background.
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CheckInterval);
        do
        {
            try
            {
                var lost = await ObserveAsync(stoppingToken).ConfigureAwait(false);
                if (lost.Count > 0 && _rebuild is not { IsCompleted: false })
                {
                    _rebuild = Task.Run(() => RebuildLoggedAsync(lost, stoppingToken), stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_rebuild is { } rebuild)
        {
            await Task.WhenAny(rebuild, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Checks now and rebuilds every lost partition this instance can lock before returning (tests, tools).</summary>
    public async Task<IReadOnlyList<int>> CheckAsync(CancellationToken cancellationToken = default)
    {
        var lost = await ObserveAsync(cancellationToken).ConfigureAwait(false);
        if (lost.Count > 0)
        {
            await RebuildLoggedAsync(lost, cancellationToken).ConfigureAwait(false);
        }

        return lost;
    }

    /// <summary>Unmarks failed-over partitions, marks fresh ones, publishes what is closed; returns the lost ones.</summary>
    private async Task<IReadOnlyList<int>> ObserveAsync(CancellationToken cancellationToken)
    {
        await UnmarkFailedOverAsync().ConfigureAwait(false);
        var unmarked = await guard.FindUnmarkedAsync().ConfigureAwait(false);
        if (unmarked.Count == 0)
        {
            progress.Observed([], new Dictionary<int, string>());
            InventoryTelemetry.RecordRebuild(0, 0);
            return [];
        }

        // Once SQL holds any history, every unmarked partition is lost, including one that never held stock: it is
        // still the home of order ids, and its seen filter must be refilled before it claims again.
        var history = ledger is not null && (await ledger.GetCursorsAsync(cancellationToken).ConfigureAwait(false))
            .Any(c => c.PersistedThrough is not ("" or "0"));
        var lost = history ? unmarked.ToList() : [];
        foreach (var fresh in unmarked.Except(lost))
        {
            await guard.MarkAsync(fresh).ConfigureAwait(false);
        }

        var others = new Dictionary<int, string>();
        foreach (var partition in lost)
        {
            if (await guard.RebuildHolderAsync(partition).ConfigureAwait(false) is { } holder && holder.Owner != _owner)
            {
                others[partition] = holder.Progress;
            }
        }

        progress.Observed(lost, others);
        InventoryTelemetry.RecordRebuild(lost.Count, progress.Snapshot().Run?.RowsDone ?? 0);
        return lost;
    }

    /// <summary>
    /// A partition whose primary changed may have lost acknowledged writes that never
    /// reached a replica (asynchronous replication), and its per-SKU sequences may have gone back. Removing its
    /// marker stops sales there until it is rebuilt from SQL, so no change is sold from, or numbered on, lost history.
    /// </summary>
    private async Task UnmarkFailedOverAsync()
    {
        if (ledger is null)
        {
            return;
        }

        var identities = new Dictionary<int, string>(guard.Primaries());
        if (_identities is not null)
        {
            var changed = identities.Where(i => _identities.TryGetValue(i.Key, out var before) && before != i.Value).Select(i => i.Key).ToList();
            foreach (var partition in changed)
            {
                await guard.UnmarkAsync(partition).ConfigureAwait(false);
            }

            if (changed.Count > 0)
            {
                LogFailover(logger, string.Join(",", changed));
            }
        }

        _identities = identities;
    }

    private async Task RebuildLoggedAsync(IReadOnlyList<int> lost, CancellationToken cancellationToken)
    {
        try
        {
            await RebuildAsync(lost, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, e.Message);
        }
        finally
        {
            progress.Finished();
        }
    }

    private async Task RebuildAsync(IReadOnlyList<int> lost, CancellationToken cancellationToken)
    {
        var since = (time.GetUtcNow() - redisOptions.IdempotencyTtl).UtcDateTime;
        var counts = await ledger!.CountOrderRowsByPartitionAsync(since, cancellationToken).ConfigureAwait(false);
        long Size(int p) => counts.TryGetValue(p, out var n) ? n : 0;

        // Smallest first: the partition with the least to restore sells again soonest.
        var mine = new List<int>();
        foreach (var partition in lost.OrderBy(Size).ThenBy(p => p))
        {
            if (await guard.TryLockRebuildAsync(partition, _owner, options.LockTtl, "starting").ConfigureAwait(false))
            {
                mine.Add(partition);
            }
        }

        if (mine.Count == 0)
        {
            return; // another instance rebuilds them; this one serves what is intact and reports their progress
        }

        var ledgerRows = await ledger.CountLedgerAsync(cancellationToken).ConfigureAwait(false);
        progress.Started(mine, ledgerRows + mine.Sum(Size));
        LogLost(logger, string.Join(",", mine), ledgerRows);
        using var renew = new CancellationTokenSource();
        var renewing = RenewAsync(mine, renew.Token);
        try
        {
            progress.Phase("draining");
            // Every partition's journal, not only the lost ones': a lost partition is also the home of order ids
            // whose claims come back from SQL alone (its seen filter now, each claim when next asked about), so SQL
            // must hold every order deducted before the loss, in whichever partition it deducted. Otherwise a cancel
            // leaves a tomb under a sold order, or a claim comes back with only the partitions SQL had reached.
            await DrainAsync([.. mine, .. Enumerable.Range(0, redisOptions.Partitions).Except(mine)], cancellationToken).ConfigureAwait(false);
            progress.Phase("stock");
            await RestoreStockAsync(mine.ToHashSet(), cancellationToken).ConfigureAwait(false);
            progress.Phase("customer limits");
            await RestoreCustomerTakenAsync(mine, cancellationToken).ConfigureAwait(false);
            progress.Phase("seen filters");
            var filters = await BuildSeenFiltersAsync(mine.ToHashSet(), cancellationToken).ConfigureAwait(false);
            progress.Phase("holds");
            var holds = await LoadOpenHoldsAsync(since, cancellationToken).ConfigureAwait(false);
            var halfCancelled = await ledger.GetHalfCancelledOrdersAsync(since, cancellationToken).ConfigureAwait(false);
            foreach (var partition in mine)
            {
                var started = time.GetTimestamp();
                progress.Phase("records", partition);
                var orders = await RestoreRecordsAsync(partition, since, cancellationToken).ConfigureAwait(false);
                await RestoreHoldsAsync(partition, holds).ConfigureAwait(false);
                await guard.MergeSeenAsync(partition, filters[partition]).ConfigureAwait(false);
                await guard.ReopenCancelsAsync(partition, halfCancelled.Where(id => partitioner.HomeOf(id) == partition)).ConfigureAwait(false);
                filters.Remove(partition);
                if (await guard.MarkRebuiltAsync(partition, _owner).ConfigureAwait(false))
                {
                    progress.PartitionDone(partition);
                    LogPartitionOpen(logger, partition, orders, time.GetElapsedTime(started).TotalSeconds);
                }
                else
                {
                    // Our lock expired (this process stalled): another instance rebuilds it and opens it.
                    LogLockLost(logger, partition);
                }
            }

            LogRebuilt(logger, string.Join(",", progress.Snapshot().Run?.Done ?? []), progress.Snapshot().Run?.ElapsedSeconds ?? 0);
        }
        finally
        {
            await renew.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
        }
    }

    /// <summary>Keeps the locks alive while this instance works, publishes its progress on them, and logs it.</summary>
    private async Task RenewAsync(List<int> partitions, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.ProgressInterval < options.LockTtl / 3 ? options.ProgressInterval : options.LockTtl / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var line = progress.Describe();
                LogProgress(logger, line);
                var snapshot = progress.Snapshot();
                InventoryTelemetry.RecordRebuild(snapshot.Closed.Count, snapshot.Run?.RowsDone ?? 0);
                foreach (var partition in snapshot.Run?.Remaining ?? [])
                {
                    try
                    {
                        await guard.TryLockRebuildAsync(partition, _owner, options.LockTtl, line).ConfigureAwait(false);
                    }
                    catch (Exception e) when (RedisFailures.IsTransient(e))
                    {
                        LogFailed(logger, e.Message); // the next tick tries again, well within the lock's TTL
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // rebuild over
        }
    }

    /// <summary>
    /// What survived of the journals reaches SQL first, so SQL's stock is the latest Redis accepted and SQL holds every
    /// order a lost home's claims stood for. Bounded by DrainWait: an engine further behind leaves those holes.
    /// </summary>
    private async Task DrainAsync(List<int> lost, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + options.DrainWait;
        foreach (var partition in lost)
        {
            var last = await guard.LastJournalIdAsync(partition).ConfigureAwait(false);
            while (last is not null && time.GetUtcNow() < deadline)
            {
                var cursor = (await ledger!.GetCursorsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(c => c.JournalPartition == partition);
                if (cursor is not null && StreamIds.Compare(cursor.PersistedThrough, last) >= 0)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stock and sequences, page by page (SKUs are few next to orders, but nothing is collected whole).</summary>
    private async Task RestoreStockAsync(HashSet<int> lost, CancellationToken cancellationToken)
    {
        const int page = 1000;
        var after = "";
        while (true)
        {
            var rows = await ledger!.GetStockPageAsync(after, page, cancellationToken).ConfigureAwait(false);
            await Task.WhenAll(rows.GroupBy(r => partitioner.PartitionOf(r.Sku)).Where(g => lost.Contains(g.Key))
                .Select(g => guard.RestoreStockAsync(g.Key, g.Select(r => (r.Sku, r.Available, r.LastSeq, r.LimitPerCustomer)).ToList()))).ConfigureAwait(false);
            if (rows.Count < page)
            {
                return;
            }

            after = rows[^1].Sku;
        }
    }

    /// <summary>
    /// Each customer's units per SKU of the lost partitions, summed by SQL over the whole ledger (limits count for
    /// ever, not for the idempotency TTL), so deduct.lua checks limits against them once the partition sells again.
    /// Plus what survived of the journal past SQL's cursor: a drain that ran out of time (the engine behind) leaves
    /// sales and give-backs SQL does not hold yet, which moved the counters as much as the persisted ones did (stock
    /// keeps them through restore_stock.lua's sequence guard; the counters have no sequence).
    /// </summary>
    private async Task RestoreCustomerTakenAsync(List<int> lost, CancellationToken cancellationToken)
    {
        foreach (var partition in lost)
        {
            var (rows, cursor) = await CustomerTakenAtCursorAsync(partition, cancellationToken).ConfigureAwait(false);
            var taken = new Dictionary<(string Customer, string Sku), long>();
            foreach (var row in rows)
            {
                taken[(row.CustomerId, row.Sku)] = row.Taken;
            }

            var after = cursor;
            while (journal is not null)
            {
                var entries = await journal.ReadAsync(partition, after, 1000, cancellationToken).ConfigureAwait(false);
                foreach (var entry in entries.Where(e => e.CustomerId is not null))
                {
                    var key = (entry.CustomerId!, entry.Sku);
                    taken[key] = taken.GetValueOrDefault(key) - entry.Delta;
                }

                if (entries.Count < 1000)
                {
                    break;
                }

                after = entries[^1].StreamId;
            }

            await Task.WhenAll(taken.GroupBy(t => t.Key.Customer, StringComparer.Ordinal)
                .Select(g => guard.RestoreCustomerTakenAsync(partition, _owner, g.Key, g.Select(t => (t.Key.Sku, t.Value)).ToList()))).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// SQL's per-customer totals of a partition and the cursor they correspond to: the engine inserts rows and moves
    /// the cursor in one transaction, so totals read between two equal cursor reads hold exactly the entries up to it.
    /// </summary>
    private async Task<(IReadOnlyList<CustomerTakenRow> Rows, string Cursor)> CustomerTakenAtCursorAsync(int partition, CancellationToken cancellationToken)
    {
        async Task<string> CursorAsync() =>
            (await ledger!.GetCursorsAsync(cancellationToken).ConfigureAwait(false)).FirstOrDefault(c => c.JournalPartition == partition)?.PersistedThrough ?? "0";

        while (true)
        {
            var before = await CursorAsync().ConfigureAwait(false);
            var rows = await ledger!.GetCustomerTakenAsync(partition, cancellationToken).ConfigureAwait(false);
            if (await CursorAsync().ConfigureAwait(false) == before)
            {
                return (rows, before);
            }
        }
    }

    private const string HoldSeenPrefix = "hold/";

    /// <summary>
    /// One streamed pass over every order id SQL holds (home is a hash of the id, which SQL does not index), setting
    /// bits in one in-memory bitmap per lost home: memory is the filters' size, not the ledger's.
    /// </summary>
    private async Task<Dictionary<int, byte[]>> BuildSeenFiltersAsync(HashSet<int> homes, CancellationToken cancellationToken)
    {
        var filters = homes.ToDictionary(h => h, _ => guard.NewSeenBitmap());
        long read = 0;
        await foreach (var id in ledger!.StreamOrderIdsAsync(cancellationToken).ConfigureAwait(false))
        {
            // reservation ids come as "hold/<id>" (an id never holds '/'), remembered in their own home's filter so spelt
            var home = id.StartsWith(HoldSeenPrefix, StringComparison.Ordinal) ? partitioner.HoldHomeOf(id[HoldSeenPrefix.Length..]) : partitioner.HomeOf(id);
            if (filters.TryGetValue(home, out var bitmap))
            {
                guard.SetSeen(bitmap, id);
            }

            if (++read % 10_000 == 0)
            {
                progress.Rows(10_000);
            }
        }

        progress.Rows(read % 10_000);
        return filters;
    }

    /// <summary>
    /// The records of orders SQL holds within the TTL that deducted in this partition, streamed order by order and
    /// restored in pipelined batches. They must be back before the partition sells: a claim that survived elsewhere
    /// (its home is intact, or survived a failover) would otherwise let a retry deduct again here.
    /// </summary>
    private async Task<long> RestoreRecordsAsync(int partition, DateTime since, CancellationToken cancellationToken)
    {
        var inFlight = new List<Task>(options.RestoreBatch);
        var order = new List<LedgerRow>();
        long orders = 0, read = 0;
        await foreach (var row in ledger!.StreamPartitionOrderRowsAsync(partition, since, cancellationToken).ConfigureAwait(false))
        {
            if (order.Count > 0 && !string.Equals(order[0].ReferenceId, row.ReferenceId, StringComparison.Ordinal))
            {
                orders += Restore(order) ? 1 : 0;
                order.Clear();
            }

            order.Add(row);
            if (++read % 1000 == 0)
            {
                progress.Rows(1000);
            }

            if (inFlight.Count >= options.RestoreBatch)
            {
                await Task.WhenAll(inFlight).ConfigureAwait(false);
                inFlight.Clear();
            }
        }

        if (order.Count > 0)
        {
            orders += Restore(order) ? 1 : 0;
        }

        progress.Rows(read % 1000);
        await Task.WhenAll(inFlight).ConfigureAwait(false);
        return orders;

        bool Restore(List<LedgerRow> rows)
        {
            if (RecordFromLedger(rows) is not { } record)
            {
                return false;
            }

            inFlight.Add(guard.RestoreRecordAsync(partition, rows[0].ReferenceId, record.Restocked, record.Lines, record.Restocks, record.Returned, record.CustomerId, record.Returns));
            return true;
        }
    }

    /// <summary>A reservation SQL shows still held, from its hold rows' reasons ("expiresAt attempt [customerId]").</summary>
    /// <param name="Lines">Every line of its latest attempt (all partitions) with the stock right after each was held.</param>
    /// <param name="OrderId">The order a commit converted some of its partitions to before it stopped: the reservation
    /// is committing, and the expiry loop rolls the commit forward. Empty: held.</param>
    /// <param name="Converted">SKUs whose held units are that order's deduction already: their hold records are not
    /// put back (the order's record is, from the commit row), so they are never released as well.</param>
    internal sealed record OpenHold(string ReservationId, long ExpiresAt, long Attempt, string CustomerId, IReadOnlyList<(OrderLine Line, long After)> Lines,
        string OrderId = "", IReadOnlySet<string>? Converted = null)
    {
        public bool IsConverted(string sku) => Converted?.Contains(sku) == true;
    }

    /// <summary>
    /// Every reservation SQL shows still held (few: held units are on their way to a commit, release or expiry),
    /// whatever its partitions: a lost partition may be the home of one whose units are elsewhere.
    /// </summary>
    private async Task<IReadOnlyList<OpenHold>> LoadOpenHoldsAsync(DateTime since, CancellationToken cancellationToken)
    {
        var rows = new List<LedgerRow>();
        await foreach (var row in ledger!.StreamOpenHoldRowsAsync(since, cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return OpenHoldsFromLedger(rows);
    }

    /// <summary>
    /// Groups hold rows by reservation; only its latest attempt's rows count, and rows without expiresAt are skipped.
    /// A commit row naming the reservation after a hold row of its SKU marks that line converted: some converted and
    /// some not is a commit that stopped midway (committing, to the commit row's order); all converted is no longer held.
    /// </summary>
    internal static IReadOnlyList<OpenHold> OpenHoldsFromLedger(IEnumerable<LedgerRow> rows)
    {
        var all = rows.ToList();
        var commits = all.Where(r => r.Kind == ChangeKinds.Commit && !string.IsNullOrEmpty(r.Reason))
            .ToLookup(r => r.Reason!, StringComparer.Ordinal);
        return all.Where(r => r.Kind == ChangeKinds.Hold)
            .Select(r => (Row: r, Reason: (r.Reason ?? "").Split(' ')))
            .Where(r => r.Reason.Length >= 2 && long.TryParse(r.Reason[0], CultureInfo.InvariantCulture, out _))
            .GroupBy(r => r.Row.ReferenceId, StringComparer.Ordinal)
            .Select(g =>
            {
                var attempt = g.Max(r => long.Parse(r.Reason[1], CultureInfo.InvariantCulture));
                var latest = g.Where(r => long.Parse(r.Reason[1], CultureInfo.InvariantCulture) == attempt).ToList();
                var reason = latest[0].Reason;
                var held = latest.GroupBy(r => r.Row.Sku, StringComparer.Ordinal).Select(s => s.MaxBy(r => r.Row.Seq).Row)
                    .OrderBy(r => r.Sku, StringComparer.Ordinal).ToList();
                var conversions = held.Select(h => commits[g.Key].Where(c => c.Sku == h.Sku && c.Seq > h.Seq).MinBy(c => c.Seq)).OfType<LedgerRow>().ToList();
                var lines = held.Select(r => (new OrderLine(r.Sku, -r.Delta), r.AvailableAfter)).ToList();
                return conversions.Count == held.Count
                    ? null
                    : new OpenHold(g.Key, long.Parse(reason[0], CultureInfo.InvariantCulture), attempt, reason.Length > 2 ? reason[2] : "", lines,
                        conversions.Select(c => c.ReferenceId).FirstOrDefault() ?? "", conversions.Select(c => c.Sku).ToHashSet(StringComparer.Ordinal));
            })
            .OfType<OpenHold>()
            .ToList();
    }

    /// <summary>
    /// Before the partition sells again: the records and held counts of reservations held in it, and the reservations
    /// whose home it is (with their expiry), so each still expires, commits or releases exactly once.
    /// </summary>
    private async Task RestoreHoldsAsync(int partition, IReadOnlyList<OpenHold> holds)
    {
        var restores = new List<Task>();
        foreach (var hold in holds)
        {
            var here = hold.Lines.Where(l => partitioner.PartitionOf(l.Line.Sku) == partition && !hold.IsConverted(l.Line.Sku)).ToList();
            if (here.Count > 0)
            {
                restores.Add(guard.RestoreHoldRecordAsync(partition, hold.ReservationId, hold.Attempt, here, hold.CustomerId));
            }

            if (partitioner.HoldHomeOf(hold.ReservationId) == partition)
            {
                var partitions = hold.Lines.Select(l => partitioner.PartitionOf(l.Line.Sku)).Distinct().Order().ToArray();
                restores.Add(guard.RestoreHoldHomeAsync(partition, hold.ReservationId, partitions, hold.ExpiresAt, hold.Attempt, hold.CustomerId, hold.Lines, hold.OrderId));
            }
        }

        await Task.WhenAll(restores).ConfigureAwait(false);
    }

    /// <param name="Restocked">Every line's deduction was restocked after it (the record says cancelled).</param>
    /// <param name="Restocks">For a cancelled record, what the cancel restocked: each deduction less what returns had restocked before it.</param>
    /// <param name="Returned">Units of each SKU that returns restocked since its deduction (the record's <c>ret</c> totals).</param>
    /// <param name="CustomerId">The customer the standing deductions named, whose allowance a cancel or return gives back.</param>
    /// <param name="Returns">Each return that restocked here since the deductions, by id, with its result here (the
    /// record's <c>R:&lt;returnId&gt;</c>): a return left open on its claim and rolled forward later replays, not restocks again.</param>
    internal sealed record LedgerRecord(bool Restocked, IReadOnlyList<(OrderLine Line, long After)> Lines, IReadOnlyList<(OrderLine Line, long After)> Restocks,
        IReadOnlyList<OrderLine> Returned, string? CustomerId = null, IReadOnlyList<(string ReturnId, string Result)>? Returns = null);

    /// <summary>
    /// What one partition's record of an order must say, from the order's rows there: per SKU the latest row decides
    /// (deducted, restocked, or voided: no order). Null when nothing stands. A deduction older than the window whose
    /// cancel is inside it has no deduct row here: SQL answers for it through the restored claim.
    /// </summary>
    internal static LedgerRecord? RecordFromLedger(IReadOnlyList<LedgerRow> rows)
    {
        var lines = rows.GroupBy(r => r.Sku, StringComparer.Ordinal)
            .Select(g => g.OrderBy(r => r.Seq).ToList())
            .Where(g => g[^1].Kind != ChangeKinds.Void && g.Any(r => r.Kind == ChangeKinds.Deduct))
            .Select(g =>
            {
                var deduct = g.Last(r => r.Kind == ChangeKinds.Deduct);
                var restock = g.LastOrDefault(r => r.Kind == ChangeKinds.Cancel && r.Seq > deduct.Seq);
                // What returns restocked since: a restored record must say so, or a cancel or return would restock it again.
                var returns = g.Where(r => r.Kind == ChangeKinds.Return && r.Seq > deduct.Seq).ToList();
                return (Line: new OrderLine(deduct.Sku, -deduct.Delta), After: deduct.AvailableAfter, RestockAfter: restock?.AvailableAfter,
                    Returned: returns.Sum(r => r.Delta), deduct.CustomerId, Returns: returns);
            }).ToList();
        if (lines.Count == 0)
        {
            return null;
        }

        var restocked = lines.All(l => l.RestockAfter is not null);
        return new LedgerRecord(restocked, lines.Select(l => (l.Line, l.After)).ToList(),
            restocked ? lines.Select(l => (l.Line with { Quantity = l.Line.Quantity - l.Returned }, l.RestockAfter ?? 0)).ToList() : [],
            lines.Where(l => l.Returned > 0).Select(l => new OrderLine(l.Line.Sku, l.Returned)).ToList(),
            lines.Select(l => l.CustomerId).FirstOrDefault(c => c is not null),
            lines.SelectMany(l => l.Returns).Where(r => SkuHistory.ReturnIdOf(r.Reason) is not null)
                .GroupBy(r => SkuHistory.ReturnIdOf(r.Reason)!, StringComparer.Ordinal)
                .Select(g => (g.Key, string.Join(',', g.OrderBy(r => r.Seq).Select(r => FormattableString.Invariant($"{r.Sku} {r.Delta} {r.AvailableAfter}")))))
                .ToList());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis partitions {Partitions} lost their data: sales there are refused until rebuilt from SQL ({LedgerRows} ledger rows); intact partitions keep selling")]
    private static partial void LogLost(ILogger logger, string partitions, long ledgerRows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis partitions {Partitions} moved to another primary: rebuilding them from SQL before they sell again")]
    private static partial void LogFailover(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis partition {Partition} is selling again ({Orders} order records restored in {Seconds:0.0} s)")]
    private static partial void LogPartitionOpen(ILogger logger, int partition, long orders, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis partitions {Partitions} rebuilt from SQL in {Seconds:0.0} s")]
    private static partial void LogRebuilt(ILogger logger, string partitions, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuilding Redis from SQL: {Progress}")]
    private static partial void LogProgress(ILogger logger, string progress);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the rebuild lock of Redis partition {Partition}; another instance finishes it")]
    private static partial void LogLockLost(ILogger logger, int partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking Redis partitions failed; retrying: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
