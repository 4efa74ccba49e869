using Inventory.Engine;
using Inventory.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inventory.Sql;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers the SQL stores (<c>Inventory:Sql</c>), the engine options (<c>Inventory:Engine</c>) and the engine's
    /// handlers. The host registers <see cref="IJournal"/> and may register <see cref="IStockEventPublisher"/>;
    /// without one, no stock-changed events are sent.
    /// </summary>
    public static IServiceCollection AddInventorySql(this IServiceCollection services, IConfiguration configuration, Action<SqlOptions>? configure = null)
    {
        var sql = new SqlOptions();
        configuration.GetSection(SqlOptions.Section).Bind(sql);
        configure?.Invoke(sql);
        sql.Validate();
        var engine = new TaskEngineOptions();
        configuration.GetSection("Inventory:Engine").Bind(engine);
        engine.Validate();

        services.AddSingleton(sql);
        services.AddSingleton(engine);
        services.AddSingleton(_ => new SqlDatabase(sql));
        services.AddSingleton<SqlTaskStore>();
        services.AddSingleton<ITaskStore>(sp => sp.GetRequiredService<SqlTaskStore>());
        services.AddSingleton<SqlLedgerReader>();
        services.AddSingleton<ILedgerReader>(sp => sp.GetRequiredService<SqlLedgerReader>());
        services.AddSingleton(sp => new SqlMigrator(sp.GetRequiredService<SqlDatabase>(), sp.GetService<ILogger<SqlMigrator>>()));
        services.AddSingleton(sp => new TaskEngine(
            sp.GetRequiredService<ITaskStore>(),
            sp.GetRequiredService<ILedgerReader>(),
            sp.GetRequiredService<IJournal>(),
            sp.GetRequiredService<TaskEngineOptions>(),
            sp.GetService<IStockEventPublisher>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IPartitionBlocker>()));
        services.AddSingleton(sp => sp.GetRequiredService<TaskEngine>().Wakeups);
        services.AddSingleton(sp => sp.GetRequiredService<TaskEngine>().Dispatcher);
        services.AddSingleton(sp => sp.GetRequiredService<TaskEngine>().StaleLeases);
        services.AddSingleton(sp => sp.GetRequiredService<TaskEngine>().JournalSweep);
        services.AddSingleton(sp => sp.GetRequiredService<TaskEngine>().Pruner);
        services.AddSingleton(sp => sp.GetRequiredService<TaskEngine>().Operations);
        if (sql.MigrateAtStart)
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SqlMigrationHostedService>());
        }

        return services;
    }
}

/// <summary>Migrates before the host starts its other services, so no handler meets a missing table.</summary>
internal sealed class SqlMigrationHostedService(SqlMigrator migrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
