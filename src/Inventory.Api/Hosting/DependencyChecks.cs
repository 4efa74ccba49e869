using Inventory.Api.Queues;
using Inventory.Application;
using Inventory.Sql;

namespace Inventory.Api.Hosting;

/// <summary>SQL for GET /api/health. Not critical: sales go on while SQL is away; the journal holds them.</summary>
public sealed class SqlHealth(SqlDatabase database) : IHealthContributor
{
    public bool Critical => false;

    public async Task<DependencyHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
            return new DependencyHealth("sql", true, "connected");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or TimeoutException or InvalidOperationException)
        {
            return new DependencyHealth("sql", false, e.GetType().Name);
        }
    }
}

/// <summary>The wake-up queue for GET /api/health. Not critical: lost wake-ups are found by the journal sweep.</summary>
public sealed class QueueHealth(StorageQueues queues) : IHealthContributor
{
    public bool Critical => false;

    public async Task<DependencyHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var exists = await queues.Get(QueueNames.Tasks).ExistsAsync(cancellationToken).ConfigureAwait(false);
            return new DependencyHealth("queue", true, exists.Value ? QueueNames.Tasks : $"{QueueNames.Tasks} not created yet");
        }
        catch (Exception e) when (e is Azure.RequestFailedException or TimeoutException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new DependencyHealth("queue", false, e.GetType().Name);
        }
    }
}
