using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Hosting;

public sealed class RedisRecoveryOptions
{
    /// <summary>How often markers and replication ids are checked: the window in which a failover can go unnoticed.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a rebuild waits for the engine to persist what survived of a lost partition's journal.</summary>
    public TimeSpan DrainWait { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Finds partitions whose marker is gone and rebuilds them from SQL before they sell again: let the engine persist
/// what survives of the journal, put back stock and sequences, restore the idempotency records and claims of the
/// orders SQL holds (within the idempotency TTL), then mark the partition. A partition never written before (no
/// SQL cursor) is simply marked; without SQL there is nothing to rebuild from, so partitions are marked as found.
/// </summary>
public sealed partial class RedisRecovery(
    RedisPartitionGuard guard, RedisOptions redisOptions, Partitioner partitioner, RedisRecoveryOptions options,
    ILogger<RedisRecovery> logger, TimeProvider time, ILedgerReader? ledger = null) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Mark fresh partitions before the host serves, so a new deployment does not answer 503 at first.
        try
        {
            await CheckAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, e.Message);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.CheckInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await CheckAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e.Message);
            }
        }
    }

    private Dictionary<int, string>? _identities;

    public async Task<IReadOnlyList<int>> CheckAsync(CancellationToken cancellationToken = default)
    {
        await UnmarkFailedOverAsync().ConfigureAwait(false);
        var unmarked = await guard.FindUnmarkedAsync().ConfigureAwait(false);
        if (unmarked.Count == 0)
        {
            return [];
        }

        var cursors = ledger is null ? [] : (await ledger.GetCursorsAsync(cancellationToken).ConfigureAwait(false))
            .Where(c => c.PersistedThrough is not ("" or "0")).Select(c => c.JournalPartition).ToHashSet();
        var lost = unmarked.Where(cursors.Contains).ToList();
        foreach (var fresh in unmarked.Except(lost))
        {
            await guard.MarkAsync(fresh).ConfigureAwait(false);
        }

        if (lost.Count > 0)
        {
            LogLost(logger, string.Join(",", lost));
            await RebuildAsync(lost, cancellationToken).ConfigureAwait(false);
            LogRebuilt(logger, string.Join(",", lost));
        }

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

    private async Task RebuildAsync(List<int> lost, CancellationToken cancellationToken)
    {
        await DrainAsync(lost, cancellationToken).ConfigureAwait(false);
        var set = lost.ToHashSet();

        var stock = new Dictionary<int, List<(string, long, long)>>();
        var after = "";
        while (true)
        {
            var page = await ledger!.GetStockPageAsync(after, 1000, cancellationToken).ConfigureAwait(false);
            foreach (var row in page.Where(r => set.Contains(partitioner.PartitionOf(r.Sku))))
            {
                var partition = partitioner.PartitionOf(row.Sku);
                (stock.TryGetValue(partition, out var rows) ? rows : stock[partition] = []).Add((row.Sku, row.Available, row.LastSeq));
            }

            if (page.Count < 1000)
            {
                break;
            }

            after = page[^1].Sku;
        }

        foreach (var (partition, rows) in stock)
        {
            await guard.RestoreStockAsync(partition, rows).ConfigureAwait(false);
        }

        await RestoreOrdersAsync(set, cancellationToken).ConfigureAwait(false);
        foreach (var partition in lost)
        {
            await guard.MarkAsync(partition).ConfigureAwait(false);
        }
    }

    /// <summary>What survived of the journal reaches SQL first, so SQL's stock is the latest Redis accepted.</summary>
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

    /// <summary>
    /// Every order id SQL holds whose home partition was lost goes back into the seen filter (so an id Redis forgot
    /// is still sent to SQL); orders within the idempotency TTL also get their records and claims back.
    /// </summary>
    private async Task RestoreOrdersAsync(HashSet<int> lost, CancellationToken cancellationToken)
    {
        var since = (time.GetUtcNow() - redisOptions.IdempotencyTtl).UtcDateTime;
        var recent = new List<LedgerRow>();
        var (afterSku, afterSeq) = ("", 0L);
        while (true)
        {
            var page = await ledger!.GetOrderRowsSinceAsync(DateTime.MinValue, afterSku, afterSeq, 5000, cancellationToken).ConfigureAwait(false);
            foreach (var home in page.Select(r => r.ReferenceId).Distinct(StringComparer.Ordinal).GroupBy(partitioner.HomeOf).Where(g => lost.Contains(g.Key)))
            {
                await guard.SeeAsync(home.Key, home).ConfigureAwait(false);
            }

            recent.AddRange(page.Where(r => r.JournalAt >= since));
            if (page.Count < 5000)
            {
                break;
            }

            (afterSku, afterSeq) = (page[^1].Sku, page[^1].Seq);
        }

        foreach (var order in recent.GroupBy(r => r.ReferenceId, StringComparer.Ordinal))
        {
            // Per SKU, the latest row says where the order stands: deducted, cancelled, or voided (not an order).
            var latest = order.GroupBy(r => r.Sku, StringComparer.Ordinal).Select(g => g.OrderBy(r => r.Seq).ToList()).ToList();
            var standing = latest.Where(g => g[^1].Kind != Persistence.ChangeKinds.Void).ToList();
            if (standing.Count == 0)
            {
                continue;
            }

            // A deduction older than the window whose cancel is inside it has no deduct row here: SQL answers for it.
            var lines = standing.Where(g => g.Any(r => r.Kind == Persistence.ChangeKinds.Deduct)).Select(g =>
            {
                var deduct = g.Last(r => r.Kind == Persistence.ChangeKinds.Deduct);
                var restock = g.LastOrDefault(r => r.Kind == Persistence.ChangeKinds.Cancel && r.Seq > deduct.Seq);
                // What returns restocked since: a restored record must say so, or a cancel would restock it again.
                var returned = g.Where(r => r.Kind == Persistence.ChangeKinds.Return && r.Seq > deduct.Seq).Sum(r => r.Delta);
                return (Line: new OrderLine(deduct.Sku, -deduct.Delta), After: deduct.AvailableAfter, RestockAfter: restock?.AvailableAfter, Returned: returned);
            }).ToList();
            if (lines.Count == 0)
            {
                continue;
            }

            var cancelled = lines.All(l => l.RestockAfter is not null);
            foreach (var group in lines.GroupBy(l => partitioner.PartitionOf(l.Line.Sku)).Where(g => lost.Contains(g.Key)))
            {
                // Per partition: a cancel may have restocked one partition and not yet another.
                var restocked = group.All(l => l.RestockAfter is not null);
                await guard.RestoreRecordAsync(group.Key, order.Key, restocked,
                    group.Select(l => (l.Line, l.After)).ToList(),
                    restocked ? group.Select(l => (l.Line with { Quantity = l.Line.Quantity - l.Returned }, l.RestockAfter ?? 0)).ToList() : [],
                    group.Where(l => l.Returned > 0).Select(l => new OrderLine(l.Line.Sku, l.Returned)).ToList()).ConfigureAwait(false);
            }

            var home = partitioner.HomeOf(order.Key);
            if (lost.Contains(home))
            {
                var partitions = lines.Select(l => partitioner.PartitionOf(l.Line.Sku)).Distinct().Order().ToArray();
                var results = lines.Select(l => (l.Line, cancelled ? l.RestockAfter ?? 0 : l.After)).ToList();
                await guard.RestoreReturnsAsync(home, order.Key, OrderLedgerView.ReturnsOf(order)).ConfigureAwait(false);
                await guard.RestoreClaimAsync(home, order.Key, cancelled, partitions, results,
                    lines.Where(l => l.Returned > 0).Select(l => new OrderLine(l.Line.Sku, l.Returned)).ToList()).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis partitions {Partitions} lost their data: sales there are refused until rebuilt from SQL")]
    private static partial void LogLost(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis partitions {Partitions} moved to another primary: rebuilding them from SQL before they sell again")]
    private static partial void LogFailover(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis partitions {Partitions} rebuilt from SQL")]
    private static partial void LogRebuilt(ILogger logger, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking Redis partitions failed; retrying: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
