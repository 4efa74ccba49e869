namespace Inventory.Application;

/// <summary>One dependency reported by GET /api/health.</summary>
public interface IHealthContributor
{
    /// <summary>The dependency's name in the health body; also what a check that did not answer in time is reported as.</summary>
    string Name => GetType().Name;

    /// <summary>Whether the service is down without it (503), rather than degraded (200, reported).</summary>
    bool Critical => true;

    Task<DependencyHealth> CheckHealthAsync(CancellationToken cancellationToken = default);
}
