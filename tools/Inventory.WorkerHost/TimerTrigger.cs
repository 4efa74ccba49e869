using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Inventory.WorkerHost.Rpc;
using NCrontab;

namespace Inventory.WorkerHost;

/// <summary>
/// Runs one timer-triggered function on its schedule: an NCrontab expression (six fields with seconds, or five) or
/// a TimeSpan, with %Name% resolved from the app settings. Runs never overlap; <see cref="FireAsync"/> runs one now.
/// Not reproduced from the Functions host: past-due detection across restarts (no schedule monitor storage) and
/// the singleton lock across instances (one instance here).
/// </summary>
internal sealed class TimerTrigger
{
    private readonly WorkerFunction _function;
    private readonly WorkerConnection _worker;
    private readonly Action<string> _log;
    private readonly Func<DateTime, DateTime> _next;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DateTime? _last;

    public TimerTrigger(WorkerFunction function, Func<string, string> resolve, WorkerConnection worker, Action<string> log)
    {
        _function = function;
        _worker = worker;
        _log = log;
        var schedule = resolve(function.TriggerProperty("schedule") ?? throw new InvalidOperationException($"{function.Name} has no schedule"));
        Schedule = schedule;
        _next = TimerSchedule.Parse(schedule);
    }

    public string Schedule { get; }

    public async Task RunAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        _log($"[host] {_function.Name}: timer '{Schedule}'");
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var next = _next(now);
            await Task.Delay(next - now, time, cancellationToken);
            await FireAsync(cancellationToken);
        }
    }

    public async Task<InvocationOutcome> FireAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = DateTime.UtcNow;
            var info = new
            {
                Schedule = new { AdjustForDST = true },
                ScheduleStatus = new { Last = _last ?? DateTime.MinValue, Next = _next(now), LastUpdated = now },
                IsPastDue = false,
            };
            var request = Invocations.New(_function, new TypedData { Json = JsonSerializer.Serialize(info) });
            var started = Stopwatch.StartNew();
            var response = await _worker.InvokeAsync(request, cancellationToken);
            _last = now;
            var outcome = new InvocationOutcome(_function.Name, request.InvocationId, response.Succeeded(), response.Succeeded() ? null : response.Failure(), started.Elapsed);
            if (!outcome.Succeeded)
            {
                _log($"[host] {_function.Name}: timer run failed: {outcome.Error}");
            }

            return outcome;
        }
        finally
        {
            _gate.Release();
        }
    }
}

/// <summary>A timer trigger's schedule: an NCrontab expression (six fields with seconds, or five) or a TimeSpan interval.</summary>
public static class TimerSchedule
{
    /// <summary>The next occurrence after a given time (UTC).</summary>
    public static Func<DateTime, DateTime> Parse(string schedule)
    {
        if (schedule.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(schedule, CultureInfo.InvariantCulture, out var interval) && interval > TimeSpan.Zero)
        {
            return now => now + interval;
        }

        var fields = schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var cron = CrontabSchedule.Parse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = fields == 6 });
        return cron.GetNextOccurrence;
    }
}
