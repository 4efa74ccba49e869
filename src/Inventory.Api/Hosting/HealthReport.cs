using Inventory.Application;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Hosting;

public sealed class HealthOptions
{
    /// <summary>
    /// How long one dependency check may take. A check still running then reports the dependency down: a health
    /// probe that hangs for as long as a client library retries is no answer at all. Below a second, so the whole
    /// answer (checks run at once, then serialization) arrives within one even when a dependency hangs (issue 12: a
    /// slow queue endpoint during a Redis rebuild made health answer in 1.01–1.04 s at the former 1000 ms).
    /// </summary>
    public int TimeoutMilliseconds { get; set; } = 800;
}

public sealed record HealthReport(string Status, bool Critical, IReadOnlyList<DependencyHealth> Dependencies);

/// <summary>Runs every dependency check at once, each within its own deadline, and turns them into one status.</summary>
public sealed partial class HealthReporter(IEnumerable<IHealthContributor> contributors, HealthOptions options, ILogger<HealthReporter> logger)
{
    private readonly IReadOnlyList<IHealthContributor> _contributors = contributors.ToList();

    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken = default)
    {
        var timeout = TimeSpan.FromMilliseconds(options.TimeoutMilliseconds);
        var reports = await Task.WhenAll(_contributors.Select(c => CheckOneAsync(c, timeout, cancellationToken))).ConfigureAwait(false);
        // A report may say how critical its own failure is (Redis memory high is degraded, Redis full is unhealthy).
        var critical = _contributors.Where((c, i) => (reports[i].Critical ?? c.Critical) && !reports[i].Healthy).Any();
        var status = critical ? "unhealthy" : reports.Any(r => !r.Healthy) ? "degraded" : "healthy";
        return new HealthReport(status, critical, reports);
    }

    private async Task<DependencyHealth> CheckOneAsync(IHealthContributor contributor, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            // WaitAsync as well as the token: not every client stops on cancellation (a stalled TCP connect, SDK
            // retry delays), and the answer must not wait for them. An abandoned check finishes on its own.
            return await contributor.CheckHealthAsync(deadline.Token).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            var detail = e is TimeoutException or OperationCanceledException
                ? $"no answer within {timeout.TotalMilliseconds:0} ms"
                : e.GetType().Name;
            LogCheckFailed(logger, contributor.Name, detail, e.Message);
            return new DependencyHealth(contributor.Name, false, detail);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check of {Dependency} failed: {Detail} ({Reason})")]
    private static partial void LogCheckFailed(ILogger logger, string dependency, string detail, string reason);
}
