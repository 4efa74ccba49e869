namespace Inventory.Application;

/// <summary>One dependency reported by GET /api/health.</summary>
public interface IHealthContributor
{
    /// <summary>Whether the service is down without it (503), rather than degraded (200, reported).</summary>
    bool Critical => true;

    Task<DependencyHealth> CheckHealthAsync(CancellationToken cancellationToken = default);
}
