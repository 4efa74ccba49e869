using Inventory.Api.Http;
using Inventory.Api.Queues;
using Inventory.Api.Telemetry;
using Inventory.Application;
using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Reconciliation;
using Inventory.Redis;
using Inventory.Sql;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Inventory.Api.Hosting;

public static class InventoryServiceCollectionExtensions
{
    /// <summary>The one registration both hosts call: application, Redis, queues and the wake-up publisher.</summary>
    public static IServiceCollection AddInventory(this IServiceCollection services, IConfiguration configuration)
    {
        var redisOptions = configuration.GetSection("Inventory:Redis").Get<RedisOptions>() ?? new RedisOptions();
        var hotSku = configuration.GetSection("Inventory:HotSku").Get<HotSkuOptions>() ?? new HotSkuOptions();
        var wakeup = configuration.GetSection("Inventory:Wakeup").Get<WakeupOptions>() ?? new WakeupOptions();
        var storage = configuration["AzureWebJobsStorage"] ?? "UseDevelopmentStorage=true";

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(redisOptions);
        services.AddSingleton(new Partitioner(redisOptions.Partitions));
        services.AddSingleton(new JournalActivity(redisOptions.Partitions));
        services.AddSingleton<IConnectionMultiplexer>(_ => RedisConnection.Connect(redisOptions));
        services.AddSingleton(sp => new RedisInventoryStore(
            sp.GetRequiredService<IConnectionMultiplexer>(), redisOptions, sp.GetRequiredService<Partitioner>(),
            sp.GetRequiredService<JournalActivity>(), sp.GetRequiredService<TimeProvider>())
        {
            CrashAfterFirstPartition = configuration.GetValue<bool>("Inventory:Faults:CrashAfterFirstPartition"),
        });
        services.AddSingleton<IInventoryStore>(sp => new InstrumentedInventoryStore(
            sp.GetRequiredService<RedisInventoryStore>(),
            sp.GetService<ILogger<InstrumentedInventoryStore>>() ?? NullLogger<InstrumentedInventoryStore>.Instance));
        services.AddSingleton<IHealthContributor>(sp => sp.GetRequiredService<RedisInventoryStore>());
        services.AddSingleton<IJournal>(sp => new RedisJournal(sp.GetRequiredService<IConnectionMultiplexer>(), redisOptions));
        services.AddSingleton(sp => new RedisPartitionGuard(sp.GetRequiredService<IConnectionMultiplexer>(), redisOptions));
        services.AddSingleton(configuration.GetSection("Inventory:Redis:Recovery").Get<RedisRecoveryOptions>() ?? new RedisRecoveryOptions());
        services.AddSingleton<RedisRecovery>();

        services.AddSingleton(hotSku);
        services.AddSingleton(sp => new HotSkuLimiter(sp.GetRequiredService<HotSkuOptions>()));
        services.AddSingleton<InventoryService>();
        services.AddSingleton<InventoryHandlers>();
        services.AddSingleton<EngineHandlers>();
        services.AddSingleton<ReconciliationHandlers>();

        services.AddSingleton(new StorageQueues(storage));
        services.AddSingleton(wakeup);
        services.AddSingleton<PoisonRedriver>();
        services.AddSingleton<IHealthContributor, QueueHealth>();
        services.AddHostedService<WakeupPublisher>();

        // SQL is optional so the deduction path runs on its own; with it, the task engine persists every change.
        if (!string.IsNullOrWhiteSpace(configuration["Inventory:Sql:ConnectionString"]))
        {
            services.AddSingleton<IStockEventPublisher, StockEventPublisher>();
            services.AddInventorySql(configuration);
            services.AddSingleton<IOrderLedger, SqlOrderLedger>();
            services.AddSingleton<IHealthContributor, SqlHealth>();
            services.AddSingleton(configuration.GetSection("Inventory:Reconciliation").Get<ReconciliationOptions>() ?? new ReconciliationOptions());
            services.AddSingleton(sp => new Reconciler(sp.GetRequiredService<RedisInventoryStore>(), sp.GetRequiredService<ILedgerReader>(),
                redisOptions.Partitions, sp.GetRequiredService<ReconciliationOptions>(), sp.GetRequiredService<TimeProvider>()));
        }
        else
        {
            services.AddSingleton<IOrderLedger, NoOrderLedger>();
        }

        // After the SQL migration's hosted service: the first check reads SQL's journal cursors.
        services.AddHostedService(sp => sp.GetRequiredService<RedisRecovery>());
        return services;
    }
}
