namespace Inventory.Application;

/// <summary>One dependency reported by GET /api/health.</summary>
public interface IHealthContributor
{
    Task<DependencyHealth> CheckHealthAsync(CancellationToken cancellationToken = default);
}
