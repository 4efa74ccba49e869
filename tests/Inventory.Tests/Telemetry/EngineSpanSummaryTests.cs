using System.Diagnostics;
using Inventory.Api.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Exporter;

namespace Inventory.Tests.Telemetry;

/// <summary>The console exporter's filter: routine engine runs become one summary line, everything else passes.</summary>
public sealed class EngineSpanSummaryTests
{
    [Fact]
    public void Routine_engine_runs_are_counted_and_summarized_failures_and_requests_are_printed()
    {
        using var source = new ActivitySource("summary-test-" + Guid.NewGuid().ToString("N"));
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var printed = new List<Activity>();
        var lines = new List<string>();
        var time = new ManualTime();
        using var summary = new EngineSpanSummary(new InMemoryExporter<Activity>(printed), lines.Add, time);

        var ended = new List<Activity>();
        for (var i = 0; i < 40; i++)
        {
            using var run = source.StartActivity("inventory.engine.wakeup")!;
            using (var child = source.StartActivity("redis xrange")!)
            {
                ended.Add(child);
            }

            ended.Add(run);
        }

        using (var failed = source.StartActivity("inventory.engine.dispatch")!)
        {
            failed.AddEvent(new ActivityEvent("inventory.task.retry"));
            ended.Add(failed);
        }

        using (var request = source.StartActivity("POST /api/deductions")!)
        {
            ended.Add(request);
        }

        foreach (var activity in ended)
        {
            summary.Export(new Batch<Activity>([activity], 1));
        }

        Assert.Equal(["inventory.engine.dispatch", "POST /api/deductions"], printed.Select(a => a.OperationName));
        Assert.Empty(lines);

        time.Advance(EngineSpanSummary.Interval);
        using (var later = source.StartActivity("inventory.engine.journal_sweep")!)
        {
            ended.Add(later);
        }

        summary.Export(new Batch<Activity>([ended[^1]], 1));
        var line = Assert.Single(lines);
        Assert.Contains("41 routine runs", line);
        Assert.Contains("wakeup 40", line);
        Assert.Contains("journal_sweep 1", line);
        Assert.Contains("40 child spans", line);
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
