using System.Diagnostics;
using Inventory.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Inventory.Tests.Telemetry;

/// <summary>
/// The OpenTelemetry SDK with in-memory exporters over the Inventory meter and activity source. It sees only what is
/// measured after it was created (metrics are cumulative from then), and the test assembly runs one test at a time,
/// so a sum is what the test itself caused.
/// </summary>
public sealed class TelemetryCapture : IDisposable
{
    private readonly List<MetricSnapshot> _metrics = [];
    private readonly List<Activity> _spans = [];
    private readonly MeterProvider _meters;
    private readonly TracerProvider _tracer;

    public TelemetryCapture()
    {
        _meters = Sdk.CreateMeterProviderBuilder().AddMeter(InventoryTelemetry.Name).AddInMemoryExporter(_metrics).Build()!;
        _tracer = Sdk.CreateTracerProviderBuilder().AddSource(InventoryTelemetry.Name).AddInMemoryExporter(_spans).Build()!;
    }

    /// <summary>Spans ended so far with this name.</summary>
    public IReadOnlyList<Activity> Spans(string name)
    {
        _tracer.ForceFlush();
        lock (_spans)
        {
            return _spans.Where(s => s.OperationName == name).ToList();
        }
    }

    /// <summary>Exports now and returns the points of one instrument whose tags include <paramref name="tags"/>.</summary>
    public IReadOnlyList<MetricPoint> Points(string instrument, params (string Key, object Value)[] tags)
    {
        _meters.ForceFlush();
        var latest = _metrics.LastOrDefault(m => m.Name == instrument);
        if (latest is null)
        {
            return [];
        }

        return latest.MetricPoints.Where(point => tags.All(tag => HasTag(point, tag.Key, tag.Value))).ToList();
    }

    public long Count(string instrument, params (string Key, object Value)[] tags) =>
        Points(instrument, tags).Sum(p => p.GetSumLong());

    public long HistogramCount(string instrument, params (string Key, object Value)[] tags) =>
        Points(instrument, tags).Sum(p => p.GetHistogramCount());

    public MetricType? TypeOf(string instrument)
    {
        _meters.ForceFlush();
        return _metrics.LastOrDefault(m => m.Name == instrument)?.MetricType;
    }

    public void Dispose()
    {
        _meters.Dispose();
        _tracer.Dispose();
    }

    private static bool HasTag(MetricPoint point, string key, object value)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return Equals(tag.Value, value) || Equals(tag.Value?.ToString(), value.ToString());
            }
        }

        return false;
    }
}
