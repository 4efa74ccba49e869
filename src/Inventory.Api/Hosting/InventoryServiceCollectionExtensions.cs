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
        if (configuration.GetValue<bool>("Inventory:Redis:UseEntraId"))
        {
            services.TryAddSingleton<IRedisCredentialSource>(_ => new EntraRedisCredentialSource(
                new Azure.Identity.DefaultAzureCredential(new Azure.Identity.DefaultAzureCredentialOptions { ManagedIdentityClientId = configuration["AZURE_CLIENT_ID"] })));
        }

        services.AddSingleton<RedisAuthentication>();
        services.AddHostedService<RedisReauthenticationLoop>();
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            // Access keys or ACL passwords come in the configuration string; a registered credential source
            // (Entra ID) rotates, and the multiplexer is kept authenticated as it does.
            if (sp.GetService<IRedisCredentialSource>() is not { } source)
            {
                return RedisConnection.Connect(redisOptions);
            }

            var credential = source.GetAsync().GetAwaiter().GetResult();
            var (connection, options) = RedisConnection.Connect(redisOptions, credential);
            var state = sp.GetRequiredService<RedisAuthentication>();
            state.Reauthenticator = new RedisReauthenticator(connection, options, source);
            state.Current = credential;
            return connection;
        });
        services.AddSingleton(sp => new RedisInventoryStore(
            sp.GetRequiredService<IConnectionMultiplexer>(), redisOptions, sp.GetRequiredService<Partitioner>(),
            sp.GetRequiredService<JournalActivity>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOrderLedger>())
        {
            CrashAfterFirstPartition = configuration.GetValue<bool>("Inventory:Faults:CrashAfterFirstPartition"),
        });
        services.AddSingleton<IInventoryStore>(sp => new InstrumentedInventoryStore(
            sp.GetRequiredService<RedisInventoryStore>(),
            sp.GetService<ILogger<InstrumentedInventoryStore>>() ?? NullLogger<InstrumentedInventoryStore>.Instance));
        services.AddSingleton(configuration.GetSection("Inventory:Redis:Health").Get<RedisHealthOptions>() ?? new RedisHealthOptions());
        services.AddSingleton(sp => new RedisRebuildProgress(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IHealthContributor, RedisHealth>();
        services.AddSingleton(configuration.GetSection("Inventory:Health").Get<HealthOptions>() ?? new HealthOptions());
        services.AddSingleton<HealthReporter>();
        services.AddHostedService<DurableAcknowledgementGuard>();
        // Problem responses carry a traceId (to find the request in the logs) in both hosts.
        services.AddProblemDetails();
        services.AddSingleton<IJournal>(sp => new RedisJournal(sp.GetRequiredService<IConnectionMultiplexer>(), redisOptions));
        services.AddSingleton(sp => new RedisPartitionGuard(sp.GetRequiredService<IConnectionMultiplexer>(), redisOptions));
        services.AddSingleton(configuration.GetSection("Inventory:Redis:Recovery").Get<RedisRecoveryOptions>() ?? new RedisRecoveryOptions());
        services.AddSingleton<RedisRecovery>();

        services.AddSingleton(hotSku);
        services.AddSingleton(sp => new HotSkuLimiter(sp.GetRequiredService<HotSkuOptions>()));
        services.AddSingleton<InventoryService>();
        services.AddSingleton<InventoryHandlers>();
        services.AddSingleton<ReservationHandlers>();
        services.AddSingleton<EngineHandlers>();
        services.AddSingleton<ReconciliationHandlers>();
        services.AddSingleton(sp => new HistoryHandlers(sp.GetRequiredService<InventoryService>(), sp.GetService<ILedgerReader>()));

        services.AddSingleton(new StorageQueues(storage));
        services.AddSingleton(wakeup);
        services.AddSingleton<PoisonRedriver>();
        services.AddSingleton<IHealthContributor, QueueHealth>();
        services.AddHostedService<WakeupPublisher>();

        // Without SQL nothing Redis accepts is ever persisted: allowed (a demo, a benchmark of the deduction path
        // alone), but only when asked for by name, never because a connection string went missing.
        if (!SqlRequired(configuration))
        {
            services.AddSingleton<IOrderLedger, NoOrderLedger>();
            services.AddHostedService<NoSqlWarning>();
        }
        else
        {
            services.AddSingleton<IStockEventPublisher, StockEventPublisher>();
            services.AddInventorySql(configuration, sql => sql.PasswordProvider = EntraSqlPassword.For(configuration, sql));
            services.AddSingleton<IOrderLedger, SqlOrderLedger>();
            services.AddSingleton<IPartitionBlocker, RedisPartitionBlocker>();
            services.AddSingleton<IHealthContributor, SqlHealth>();
            services.AddSingleton(configuration.GetSection("Inventory:Reconciliation").Get<ReconciliationOptions>() ?? new ReconciliationOptions());
            services.AddSingleton(sp => new Reconciler(sp.GetRequiredService<RedisInventoryStore>(), sp.GetRequiredService<ILedgerReader>(),
                redisOptions.Partitions, sp.GetRequiredService<ReconciliationOptions>(), sp.GetRequiredService<TimeProvider>()));
        }

        // After the SQL migration's hosted service: the first check reads SQL's journal cursors.
        services.AddHostedService(sp => sp.GetRequiredService<RedisRecovery>());
        return services;
    }

    /// <summary>The value of <c>Inventory:Sql:Provider</c> that runs without SQL, persisting nothing.</summary>
    public const string NoSqlProvider = "none";

    /// <returns>False when <c>Inventory:Sql:Provider</c> is <c>none</c>; true when a connection string is set.</returns>
    /// <exception cref="InvalidOperationException">Neither is set, or both are: the host must not start.</exception>
    public static bool SqlRequired(IConfiguration configuration)
    {
        var none = string.Equals(configuration["Inventory:Sql:Provider"], NoSqlProvider, StringComparison.OrdinalIgnoreCase);
        var connection = !string.IsNullOrWhiteSpace(configuration["Inventory:Sql:ConnectionString"]);
        return (none, connection) switch
        {
            (false, true) => true,
            (true, false) => false,
            (true, true) => throw new InvalidOperationException(
                "Inventory:Sql:Provider is 'none' but Inventory:Sql:ConnectionString is set: choose one (postgres or sqlserver with the connection string, or none without it)."),
            _ => throw new InvalidOperationException(
                "Inventory:Sql:ConnectionString is not set: sales would be accepted and never persisted. Set it (and Inventory:Sql:Provider = postgres or sqlserver), " +
                "or set Inventory:Sql:Provider = none to run without SQL on purpose."),
        };
    }
}

/// <summary>Says at every start, loudly, that this process persists nothing.</summary>
internal sealed partial class NoSqlWarning(ILogger<NoSqlWarning> logger) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogNoSql(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Running WITHOUT SQL (Inventory:Sql:Provider = none): every sale lives only in Redis and is never persisted; a Redis loss loses it for good")]
    private static partial void LogNoSql(ILogger logger);
}
