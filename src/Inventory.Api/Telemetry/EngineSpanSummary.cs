using System.Diagnostics;
using OpenTelemetry;

namespace Inventory.Api.Telemetry;

/// <summary>
/// For the console exporter: the task engine's routine runs (several per second: wake-ups, dispatch, sweeps, each
/// with its Redis and SQL child spans) would bury request spans on a terminal, so they are counted instead and
/// printed as one summary line per <see cref="Interval"/>. An engine run that failed, retried or killed a task
/// (error status or an event) is still printed whole, children included.
/// </summary>
public sealed class EngineSpanSummary(BaseExporter<Activity> inner, Action<string> write, TimeProvider? time = null) : BaseExporter<Activity>
{
    public const string EnginePrefix = "inventory.engine.";

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, int> _runs = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private int _children;
    private long _since = -1;

    public override ExportResult Export(in Batch<Activity> batch)
    {
        var shown = new List<Activity>();
        foreach (var activity in batch)
        {
            if (Root(activity) is { } run && !Noteworthy(run))
            {
                Count(activity, run);
            }
            else
            {
                shown.Add(activity);
            }
        }

        FlushIfDue();
        return shown.Count == 0 ? ExportResult.Success : inner.Export(new Batch<Activity>([.. shown], shown.Count));
    }

    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        Flush();
        return inner.Shutdown(timeoutMilliseconds);
    }

    /// <summary>The engine run this span belongs to (itself or an ancestor), or null for anything else.</summary>
    private static Activity? Root(Activity activity)
    {
        for (var current = activity; current is not null; current = current.Parent)
        {
            if (current.OperationName.StartsWith(EnginePrefix, StringComparison.Ordinal))
            {
                return current;
            }
        }

        return null;
    }

    private static bool Noteworthy(Activity run) => run.Status == ActivityStatusCode.Error || run.Events.Any();

    private void Count(Activity activity, Activity run)
    {
        lock (_gate)
        {
            if (_since < 0)
            {
                _since = _time.GetTimestamp();
            }

            if (ReferenceEquals(activity, run))
            {
                var handler = run.OperationName[EnginePrefix.Length..];
                _runs[handler] = _runs.GetValueOrDefault(handler) + 1;
            }
            else
            {
                _children++;
            }
        }
    }

    private void FlushIfDue()
    {
        lock (_gate)
        {
            if (_since >= 0 && _time.GetElapsedTime(_since) >= Interval)
            {
                FlushLocked();
            }
        }
    }

    private void Flush()
    {
        lock (_gate)
        {
            FlushLocked();
        }
    }

    private void FlushLocked()
    {
        if (_runs.Count == 0 && _children == 0)
        {
            return;
        }

        var runs = string.Join(", ", _runs.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key} {r.Value}"));
        write($"inventory.engine: {_runs.Values.Sum()} routine runs in the last {_time.GetElapsedTime(_since).TotalSeconds:0} s ({runs}), {_children} child spans; not printed one by one");
        _runs.Clear();
        _children = 0;
        _since = -1;
    }
}
