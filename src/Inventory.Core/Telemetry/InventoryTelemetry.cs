using System.Diagnostics;
using System.Diagnostics.Metrics;
using Inventory.Domain;
using Inventory.Engine;
using Inventory.Persistence;

namespace Inventory.Telemetry;

/// <summary>
/// The inventory's meter and activity source, both named <see cref="Name"/>. Instrument names and dimensions are
/// the ones infra/app/workbook.bicep and alerts.bicep query in customMetrics; rename nothing without them.
/// Nothing here costs more than a null check while no exporter listens.
/// </summary>
public static class InventoryTelemetry
{
    public const string Name = "Inventory";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary>Span tag and metric dimension names.</summary>
    public static class Tags
    {
        public const string OrderId = "inventory.order_id";
        public const string SkuCount = "inventory.sku_count";
        public const string Sku = "inventory.sku";
        public const string AdjustmentId = "inventory.adjustment_id";
        public const string OrderCount = "inventory.order_count";
        public const string Outcome = "inventory.outcome";
        public const string Replayed = "inventory.replayed";
        public const string Partition = "inventory.partition";

        /// <summary>Metric dimension of inventory.deductions.rejected (the workbook splits by it).</summary>
        public const string Reason = "reason";

        /// <summary>Metric dimensions of inventory.tasks.backlog.</summary>
        public const string Shard = "shard";
        public const string Status = "status";

        /// <summary>Metric dimension of inventory.journal.recovered.</summary>
        public const string JournalPartition = "partition";

        public const string Operation = "operation";
        public const string Kind = "kind";
    }

    /// <summary>Values of <see cref="Tags.Reason"/>.</summary>
    public static class Reasons
    {
        public const string Insufficient = "insufficient";
        public const string LimitExceeded = "limit_exceeded";
        public const string UnknownSku = "unknown_sku";
        public const string Conflict = "conflict";
        public const string Cancelled = "cancelled";
        public const string Unknown = "unknown";
        public const string Throttled = "throttled";
        public const string Unavailable = "unavailable";
    }

    private static readonly Counter<long> DeductionsAccepted =
        Meter.CreateCounter<long>("inventory.deductions.accepted", "{order}", "Orders deducted (first decisions, not replays).");

    private static readonly Counter<long> DeductionsRejected =
        Meter.CreateCounter<long>("inventory.deductions.rejected", "{order}", "Orders not deducted, by reason.");

    private static readonly Counter<long> Throttles =
        Meter.CreateCounter<long>("inventory.throttled", "{order}", "Orders answered 429 by the hot-SKU limiter.");

    private static readonly Counter<long> Replays =
        Meter.CreateCounter<long>("inventory.replays", "{request}", "Repeated requests answered with the original result.");

    // Bucket advice for exporters that keep buckets (OTLP); Application Insights keeps sum, count, min and max.
    private static readonly Histogram<double> RedisLatency = Meter.CreateHistogram(
        "inventory.redis.latency", "ms", "Round trips to the Redis store, per store call.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048] });

    private static readonly Counter<long> TaskRetries =
        Meter.CreateCounter<long>("inventory.tasks.retries", "{task}", "Failed tasks given back for a retry with backoff.");

    private static readonly Counter<long> TasksDead =
        Meter.CreateCounter<long>("inventory.tasks.dead", "{task}", "Tasks that failed their last attempt.");

    private static readonly Counter<long> LedgerDivergences =
        Meter.CreateCounter<long>("inventory.ledger.diverged", "{entry}", "Journal entries whose (sku, seq) SQL held with other content: the partition is blocked and rebuilt.");

    private static readonly Counter<long> JournalRecoveries =
        Meter.CreateCounter<long>("inventory.journal.recovered", "{partition}", "Journal ranges the sweep persisted because no wake-up covered them.");

    private static readonly Histogram<double> PersistenceLag = Meter.CreateHistogram(
        "inventory.persistence.lag", "ms", "From Redis accepting a change to SQL committing it to the ledger.", tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = [10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 300_000] });

    private static readonly Gauge<long> Drift =
        Meter.CreateGauge<long>("inventory.drift", "{unit}", "Units by which SQL stock differs from Redis, as the last reconciliation found.");

    private static readonly ObservableGauge<long> Backlog =
        Meter.CreateObservableGauge("inventory.tasks.backlog", ObserveBacklog, "{task}", "Tasks per shard and status.");

    private static readonly ObservableGauge<double> OldestPendingAge =
        Meter.CreateObservableGauge("inventory.tasks.oldest_pending_age", ObserveOldestPending, "s", "Age of the oldest pending task.");

    private static readonly Counter<long> RedisRefusals =
        Meter.CreateCounter<long>("inventory.redis.refusals", "{command}", "Commands Redis refused outright (OOM, READONLY, LOADING, MISCONF, NOSCRIPT, ...), by cause.");

    private static readonly ObservableGauge<double> RedisMemory =
        Meter.CreateObservableGauge("inventory.redis.memory.used_ratio", ObserveRedisMemory, "1", "Used memory over maxmemory per Redis primary, as the last health check read it.");

    private static readonly ObservableGauge<long> RebuildRemaining =
        Meter.CreateObservableGauge("inventory.redis.rebuild.partitions", ObserveRebuild, "{partition}", "Partitions lost and not yet rebuilt from SQL (0 when all sell).");

    private static readonly ObservableGauge<long> RebuildRows =
        Meter.CreateObservableGauge("inventory.redis.rebuild.rows", ObserveRebuildRows, "{row}", "Ledger rows the running rebuild has read.");

    private static volatile IReadOnlyList<(string Node, double Ratio)> _redisMemory = [];
    private static long _rebuildPartitions;
    private static long _rebuildRows;

    private static volatile BacklogSample? _backlog;

    /// <summary>How often the dispatch timer may query the backlog for the gauges (one statement per shard).</summary>
    public static TimeSpan BacklogRefreshInterval { get; } = TimeSpan.FromSeconds(10);

    /// <summary>A sample older than this is not reported: the process that took it no longer runs the dispatch timer.</summary>
    public static TimeSpan BacklogStaleAfter { get; } = TimeSpan.FromSeconds(30);

    // ---- Sampling ----

    /// <summary>Marks a span failed and keeps it (with its in-process ancestors) however the trace was sampled.</summary>
    public static void Fail(Activity activity, string description)
    {
        activity.SetStatus(ActivityStatusCode.Error, description);
        Keep(activity);
    }

    /// <summary>
    /// Exports this span and every in-process ancestor even if the trace's head sample said no: spans are recorded
    /// whole whatever the ratio (the sampler answers RecordOnly), and only the Recorded flag decides export, so a
    /// failure or unknown outcome found at the end of a request still reaches the operator with its request span.
    /// Children that ended before the failure was known stay unexported.
    /// </summary>
    public static void Keep(Activity? activity)
    {
        for (var span = activity; span is not null && !span.Recorded; span = span.Parent)
        {
            span.ActivityTraceFlags |= ActivityTraceFlags.Recorded;
        }
    }

    // ---- Redis refusals, memory and rebuilds ----

    /// <summary>Counts one outright refusal; <paramref name="cause"/> is <c>redis_oom</c>, <c>redis_readonly</c>, ...</summary>
    public static void RecordRedisRefusal(string cause) => RedisRefusals.Add(1, new KeyValuePair<string, object?>(Tags.Reason, cause));

    public static void RecordRedisMemory(IReadOnlyList<(string Node, double Ratio)> nodes) => _redisMemory = nodes;

    public static void RecordRebuild(long partitionsLeft, long rowsRead)
    {
        Interlocked.Exchange(ref _rebuildPartitions, partitionsLeft);
        Interlocked.Exchange(ref _rebuildRows, rowsRead);
    }

    private static IEnumerable<Measurement<double>> ObserveRedisMemory() =>
        _redisMemory.Select(n => new Measurement<double>(n.Ratio, new KeyValuePair<string, object?>("node", n.Node)));

    private static Measurement<long> ObserveRebuild() => new(Interlocked.Read(ref _rebuildPartitions));

    private static Measurement<long> ObserveRebuildRows() => new(Interlocked.Read(ref _rebuildRows));

    // ---- Deductions, cancels, stock changes (application service) ----

    public static Activity? StartDeduction(string orderId)
    {
        var activity = Source.StartActivity("inventory.deduct");
        activity?.SetTag(Tags.OrderId, orderId);
        return activity;
    }

    public static Activity? StartBatch(int orders)
    {
        var activity = Source.StartActivity("inventory.deduct_batch");
        activity?.SetTag(Tags.OrderCount, orders);
        return activity;
    }

    public static Activity? StartCancel(string orderId)
    {
        var activity = Source.StartActivity("inventory.cancel");
        activity?.SetTag(Tags.OrderId, orderId);
        return activity;
    }

    public static Activity? StartStockChange(string name, string sku, string? adjustmentId = null)
    {
        var activity = Source.StartActivity(name);
        if (activity is not null)
        {
            activity.SetTag(Tags.Sku, sku);
            activity.SetTag(Tags.SkuCount, 1);
            if (adjustmentId is not null)
            {
                activity.SetTag(Tags.AdjustmentId, adjustmentId);
            }
        }

        return activity;
    }

    /// <summary>Counts one deduction decision and tags its span.</summary>
    public static DeductionOutcome Deduction(Activity? activity, DeductionOutcome outcome, int skuCount)
    {
        RecordDeduction(outcome);
        if (activity is not null)
        {
            activity.SetTag(Tags.SkuCount, skuCount);
            activity.SetTag(Tags.Outcome, OutcomeName(outcome.Status));
            activity.SetTag(Tags.Replayed, outcome.Replayed);
            if (outcome.Status == DeductionStatus.Unknown)
            {
                Fail(activity, "outcome unknown; safe to retry with the same order id");
            }
        }

        return outcome;
    }

    /// <summary>Counts every decision of a batch and tags the batch's span.</summary>
    public static IReadOnlyList<DeductionOutcome> Batch(Activity? activity, IReadOnlyList<DeductionOutcome> outcomes, int skuCount)
    {
        foreach (var outcome in outcomes)
        {
            RecordDeduction(outcome);
        }

        if (activity is not null)
        {
            activity.SetTag(Tags.SkuCount, skuCount);
            activity.SetTag("inventory.deducted", outcomes.Count(o => o.Status == DeductionStatus.Deducted));
            activity.SetTag("inventory.replays", outcomes.Count(o => o.Replayed));
            if (outcomes.Any(o => o.Status == DeductionStatus.Unknown))
            {
                Fail(activity, "some outcomes unknown; safe to retry with the same order ids");
            }
        }

        return outcomes;
    }

    public static CancelOutcome Cancel(Activity? activity, CancelOutcome outcome)
    {
        if (outcome.Replayed)
        {
            Replays.Add(1, new KeyValuePair<string, object?>(Tags.Operation, "cancel"));
        }

        if (activity is not null)
        {
            activity.SetTag(Tags.SkuCount, outcome.Lines.Count);
            activity.SetTag(Tags.Outcome, Snake(outcome.Status.ToString()));
            activity.SetTag(Tags.Replayed, outcome.Replayed);
            if (outcome.Status == CancelStatus.Unknown)
            {
                Fail(activity, "outcome unknown; safe to retry");
            }
        }

        return outcome;
    }

    public static StockChange StockChanged(Activity? activity, StockChange change)
    {
        if (change.Replayed)
        {
            Replays.Add(1, new KeyValuePair<string, object?>(Tags.Operation, "adjust"));
        }

        if (activity is not null)
        {
            activity.SetTag(Tags.Outcome, Snake(change.Status.ToString()));
            activity.SetTag(Tags.Replayed, change.Replayed);
        }

        return change;
    }

    /// <summary>
    /// For <c>catch (Exception e) when (InventoryTelemetry.Failed(activity, e))</c>: marks the span failed while the
    /// exception is still in flight, and returns false so the exception propagates untouched.
    /// </summary>
    public static bool Failed(Activity? activity, Exception exception)
    {
        if (activity is not null)
        {
            Fail(activity, exception.GetType().Name);
            activity.SetTag("error.type", exception.GetType().FullName);
            activity.AddException(exception);
        }

        return false;
    }

    public static void RecordDeduction(DeductionOutcome outcome)
    {
        if (outcome.Replayed)
        {
            Replays.Add(1, new KeyValuePair<string, object?>(Tags.Operation, "deduct"));
            return;
        }

        if (outcome.Status == DeductionStatus.Deducted)
        {
            DeductionsAccepted.Add(1);
            return;
        }

        if (outcome.Status == DeductionStatus.Throttled)
        {
            Throttles.Add(1);
        }

        DeductionsRejected.Add(1, new KeyValuePair<string, object?>(Tags.Reason, ReasonOf(outcome.Status)));
    }

    public static string ReasonOf(DeductionStatus status) => status switch
    {
        DeductionStatus.Insufficient => Reasons.Insufficient,
        DeductionStatus.LimitExceeded => Reasons.LimitExceeded,
        DeductionStatus.UnknownSku => Reasons.UnknownSku,
        DeductionStatus.Conflict => Reasons.Conflict,
        DeductionStatus.Cancelled => Reasons.Cancelled,
        DeductionStatus.Throttled => Reasons.Throttled,
        DeductionStatus.Unknown => Reasons.Unknown,
        DeductionStatus.Unavailable => Reasons.Unavailable,
        _ => Snake(status.ToString()),
    };

    // ---- Redis round trips (the store decorator) ----

    /// <summary>A client span per store call, so Application Insights lists Redis as a dependency (and its failures).</summary>
    public static Activity? StartRedisCall(string operation)
    {
        var activity = Source.StartActivity("redis " + operation, ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("db.system", "redis");
            activity.SetTag("db.system.name", "redis");
            activity.SetTag("db.operation.name", operation);
        }

        return activity;
    }

    public static void RecordRedisLatency(string operation, TimeSpan elapsed) =>
        RedisLatency.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>(Tags.Operation, operation));

    // ---- Task engine ----

    /// <summary>One span per engine handler run, tagged with the run's <see cref="EngineReport"/>.</summary>
    public static async Task<EngineReport> TraceEngineRunAsync(string handler, Func<Task<EngineReport>> run, int? partition = null)
    {
        using var activity = Source.StartActivity("inventory.engine." + handler);
        if (partition is not null)
        {
            activity?.SetTag(Tags.Partition, partition.Value);
        }

        try
        {
            var report = await run().ConfigureAwait(false);
            if (activity is not null)
            {
                activity.SetTag("inventory.tasks.claimed", report.Claimed);
                activity.SetTag("inventory.tasks.completed", report.Completed);
                activity.SetTag("inventory.tasks.failed", report.Failed);
                activity.SetTag("inventory.tasks.retried", report.Retried);
                activity.SetTag("inventory.tasks.dead", report.Dead);
                activity.SetTag("inventory.tasks.lease_lost", report.LeaseLost);
                activity.SetTag("inventory.tasks.affected", report.Affected);
                activity.SetTag("inventory.duplicate", report.Duplicate);
                if (report.Errors.Count > 0)
                {
                    Fail(activity, report.Errors[0]);
                }
            }

            return report;
        }
        catch (Exception e) when (Failed(activity, e))
        {
            throw;
        }
    }

    /// <summary>A failed task was given back (retry) or killed (dead); an event on the engine run's span names it.</summary>
    public static void TaskFailed(ClaimedTask task, bool dead, string error)
    {
        var kind = new KeyValuePair<string, object?>(Tags.Kind, task.Kind);
        if (dead)
        {
            TasksDead.Add(1, kind);
        }
        else
        {
            TaskRetries.Add(1, kind);
        }

        Activity.Current?.AddEvent(new ActivityEvent(dead ? "inventory.task.dead" : "inventory.task.retry", tags: new ActivityTagsCollection
        {
            ["inventory.task.id"] = task.Id,
            ["inventory.task.kind"] = task.Kind,
            ["inventory.task.shard"] = task.Shard,
            ["inventory.task.attempt"] = task.Attempts,
            ["error.message"] = error,
        }));
    }

    public static void LedgerDiverged(int partition, int entries) =>
        LedgerDivergences.Add(entries, new KeyValuePair<string, object?>(Tags.JournalPartition, partition));

    public static void JournalRecovered(int partition) =>
        JournalRecoveries.Add(1, new KeyValuePair<string, object?>(Tags.JournalPartition, partition));

    /// <summary>Lag of every entry of a ledger page just committed, from the Redis time the entry carries.</summary>
    public static void Persisted(IReadOnlyList<JournalEntry> entries, long nowUnixMs)
    {
        if (!PersistenceLag.Enabled)
        {
            return;
        }

        foreach (var entry in entries)
        {
            // Redis and this host have different clocks; a negative lag is skew, not time travel.
            PersistenceLag.Record(Math.Max(0, nowUnixMs - entry.TimestampMs));
        }
    }

    /// <summary>For the reconciler: the drift it found, in units (0 when Redis and SQL agree).</summary>
    public static void RecordDrift(long units) => Drift.Record(units);

    // ---- Backlog gauges ----

    /// <summary>True when an exporter observes the backlog gauges and the last sample is older than the refresh interval.</summary>
    public static bool BacklogRefreshDue =>
        (Backlog.Enabled || OldestPendingAge.Enabled)
        && (_backlog is not { } sample || Stopwatch.GetElapsedTime(sample.Taken) >= BacklogRefreshInterval);

    /// <summary>Keeps a backlog just read (dispatch timer, stats route) for the gauges, so exporting them costs no query.</summary>
    public static void ReportBacklog(IReadOnlyList<ShardBacklog> backlog) =>
        _backlog = new BacklogSample(backlog, Stopwatch.GetTimestamp());

    private static IEnumerable<Measurement<long>> ObserveBacklog() =>
        (FreshBacklog() ?? []).Select(b => new Measurement<long>(
            b.Count,
            new KeyValuePair<string, object?>(Tags.Shard, b.Shard),
            new KeyValuePair<string, object?>(Tags.Status, b.Status)));

    private static IEnumerable<Measurement<double>> ObserveOldestPending() =>
        FreshBacklog() is { } backlog
            ? [new Measurement<double>(backlog.Where(b => b.Status == TaskStatuses.Pending).Select(b => b.OldestAgeSeconds).DefaultIfEmpty(0).Max())]
            : [];

    private static IReadOnlyList<ShardBacklog>? FreshBacklog() =>
        _backlog is { } sample && Stopwatch.GetElapsedTime(sample.Taken) <= BacklogStaleAfter ? sample.Backlog : null;

    private static string OutcomeName(DeductionStatus status) =>
        status == DeductionStatus.Deducted ? "deducted" : ReasonOf(status);

    private static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    private sealed record BacklogSample(IReadOnlyList<ShardBacklog> Backlog, long Taken);
}
