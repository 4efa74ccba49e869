using Inventory.Application;
using Inventory.Persistence;

namespace Inventory.Reconciliation;

public sealed class ReconciliationOptions
{
    /// <summary>How long a run waits for SQL to catch up to the sequences it snapshotted in Redis.</summary>
    public TimeSpan CatchUpWait { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Repair drift found (journaled in Redis, once per SKU and sequence); false only measures.</summary>
    public bool Repair { get; set; } = true;
}

/// <param name="Kind">"value": Redis and the ledger disagree at the same sequence; "redis_behind": Redis lost changes SQL holds.</param>
public sealed record Drift(string Sku, string Kind, long Sequence, long RedisAvailable, long SqlAvailable, long? AvailableAfterRepair);

public sealed record ReconciliationReport(DateTimeOffset StartedAt, DateTimeOffset FinishedAt, int SkusChecked, int SkusNotCaughtUp, IReadOnlyList<Drift> Drifted)
{
    public long DriftUnits => Drifted.Sum(d => Math.Abs(d.SqlAvailable - d.RedisAvailable));
}

/// <summary>
/// Measures and repairs drift between Redis and SQL. Each SKU is compared at one point of its history: Redis's stock
/// and sequence read together, against the stock the SQL ledger recorded right after that same sequence, once SQL
/// has caught up to it, so hot SKUs that never stop moving are checked too. The ledger is the record: a drift is
/// repaired in Redis by a journaled adjustment keyed by (SKU, sequence), so the same discrepancy is never repaired twice.
/// </summary>
public sealed class Reconciler(IStockSnapshots redis, ILedgerReader ledger, int partitions, ReconciliationOptions options, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public ReconciliationReport? Last { get; private set; }

    public async Task<ReconciliationReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var started = _time.GetUtcNow();
        var points = new Dictionary<string, SkuPoint>(StringComparer.Ordinal);
        for (var partition = 0; partition < partitions; partition++)
        {
            foreach (var point in await redis.SnapshotAsync(partition, cancellationToken).ConfigureAwait(false))
            {
                points[point.Sku] = point;
            }
        }

        var sql = new Dictionary<string, StockRow>(StringComparer.Ordinal);
        foreach (var chunk in points.Keys.Chunk(1000))
        {
            foreach (var row in await ledger.GetStockAsync(chunk, cancellationToken).ConfigureAwait(false))
            {
                sql[row.Sku] = row;
            }
        }

        var drifts = new List<Drift>();
        var checkedCount = 0;
        var waiting = new Dictionary<(string, long), SkuPoint>();
        foreach (var point in points.Values.Where(p => p.Sequence > 0))
        {
            if (sql.TryGetValue(point.Sku, out var row) && row.LastSeq == point.Sequence)
            {
                checkedCount++;
                if (row.Available != point.Available)
                {
                    drifts.Add(new Drift(point.Sku, "value", point.Sequence, point.Available, row.Available, null));
                }
            }
            else
            {
                waiting[(point.Sku, point.Sequence)] = point;
            }
        }

        var deadline = _time.GetUtcNow() + options.CatchUpWait;
        while (waiting.Count > 0)
        {
            foreach (var found in await ledger.GetAvailableAtAsync(waiting.Keys.ToList(), cancellationToken).ConfigureAwait(false))
            {
                var point = waiting[(found.Sku, found.Seq)];
                waiting.Remove((found.Sku, found.Seq));
                checkedCount++;
                if (found.AvailableAfter != point.Available)
                {
                    drifts.Add(new Drift(point.Sku, "value", point.Sequence, point.Available, found.AvailableAfter, null));
                }
            }

            if (waiting.Count == 0 || _time.GetUtcNow() >= deadline)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), _time, cancellationToken).ConfigureAwait(false);
        }

        drifts.AddRange(await FindRedisBehindAsync(points, sql, cancellationToken).ConfigureAwait(false));
        if (options.Repair)
        {
            drifts = await RepairAsync(drifts, sql, cancellationToken).ConfigureAwait(false);
        }

        var report = new ReconciliationReport(started, _time.GetUtcNow(), checkedCount, waiting.Count, drifts);
        Telemetry.InventoryTelemetry.RecordDrift(report.DriftUnits);
        Last = report;
        return report;
    }

    /// <summary>SQL holds a later change of a SKU than Redis has now: Redis lost writes (a lossy failover, a restart without persistence).</summary>
    private async Task<List<Drift>> FindRedisBehindAsync(Dictionary<string, SkuPoint> points, Dictionary<string, StockRow> sql, CancellationToken cancellationToken)
    {
        var suspects = points.Values.Where(p => sql.TryGetValue(p.Sku, out var row) && row.LastSeq > p.Sequence).ToList();
        if (suspects.Count == 0)
        {
            return [];
        }

        // Redis may simply have moved on since the snapshot; only a sequence still behind SQL's now is a loss.
        var now = new Dictionary<string, SkuPoint>(StringComparer.Ordinal);
        foreach (var partition in Enumerable.Range(0, partitions))
        {
            foreach (var point in await redis.SnapshotAsync(partition, cancellationToken).ConfigureAwait(false))
            {
                now[point.Sku] = point;
            }
        }

        return suspects
            .Where(p => now.TryGetValue(p.Sku, out var current) && current.Sequence < sql[p.Sku].LastSeq)
            .Select(p => new Drift(p.Sku, "redis_behind", now[p.Sku].Sequence, now[p.Sku].Available, sql[p.Sku].Available, null))
            .ToList();
    }

    private async Task<List<Drift>> RepairAsync(List<Drift> drifts, Dictionary<string, StockRow> sql, CancellationToken cancellationToken)
    {
        var repaired = new List<Drift>(drifts.Count);
        foreach (var drift in drifts)
        {
            var sqlLast = sql.TryGetValue(drift.Sku, out var row) ? row.LastSeq : 0;
            var after = await redis.RepairAsync(drift.Sku, drift.Sequence, drift.SqlAvailable - drift.RedisAvailable, sqlLast, cancellationToken).ConfigureAwait(false);
            repaired.Add(drift with { AvailableAfterRepair = after });
        }

        return repaired;
    }
}
