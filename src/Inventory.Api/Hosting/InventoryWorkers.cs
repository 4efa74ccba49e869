using Inventory.Api.Queues;
using Inventory.Application;
using Inventory.Engine;
using Inventory.Reconciliation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Hosting;

public static class InventoryWorkers
{
    /// <summary>
    /// For hosts without timer and queue triggers (the plain server): a queue listener and hosted loops that call
    /// the same handlers the Functions triggers call. Intervals come from Inventory:Workers (the Functions app
    /// reads CRON schedules from app settings instead); Inventory:Workers:Engine=false leaves the engine to others.
    /// </summary>
    public static IServiceCollection AddInventoryWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        var workers = configuration.GetSection("Inventory:Workers");
        TimeSpan Interval(string name, int seconds) => workers.GetValue($"{name}Interval", TimeSpan.FromSeconds(seconds));

        services.AddLoop("RecoverOrders", Interval("OrderRecovery", 10), (sp, ct) => sp.GetRequiredService<IInventoryStore>().RecoverAbandonedOrdersAsync(ct));
        // Every second: a hold past expiresAt is back on sale within about two (docs/holds.md promises five).
        services.AddLoop("ExpireHolds", Interval("HoldExpiry", 1), (sp, ct) => sp.GetRequiredService<IInventoryStore>().ExpireHoldsAsync(ct));
        var sqlConfigured = !string.IsNullOrWhiteSpace(configuration["Inventory:Sql:ConnectionString"]);
        if (!sqlConfigured || !workers.GetValue("Engine", true))
        {
            return services;
        }

        services.AddSingleton(workers.GetSection("Queue").Get<QueueListenerOptions>() ?? new QueueListenerOptions());
        services.AddHostedService<TaskQueueListener>();
        services.AddLoop("DispatchTasks", Interval("TaskDispatch", 5), (sp, ct) => sp.GetRequiredService<TaskDispatcher>().RunDueAsync(ct));
        services.AddLoop("UnlockStaleLeases", Interval("StaleLease", 15), (sp, ct) => sp.GetRequiredService<StaleLeaseSweeper>().RunAsync(ct));
        services.AddLoop("SweepJournals", Interval("JournalSweep", 10), (sp, ct) => sp.GetRequiredService<JournalSweeper>().RunAsync(ct));
        services.AddLoop("PruneTasks", Interval("TaskPrune", 300), (sp, ct) => sp.GetRequiredService<TaskPruner>().RunAsync(ct));
        services.AddLoop("ReconcileStock", Interval("Reconcile", 300), (sp, ct) => sp.GetRequiredService<Reconciler>().RunAsync(ct));
        services.AddLoop("RedrivePoison", Interval("PoisonRedrive", 60), (sp, ct) => sp.GetRequiredService<PoisonRedriver>().RedriveAsync(cancellationToken: ct));
        return services;
    }

    private static void AddLoop(this IServiceCollection services, string name, TimeSpan interval, Func<IServiceProvider, CancellationToken, Task> work) =>
        services.AddSingleton<IHostedService>(sp => new PeriodicLoop(name, interval, work, sp, sp.GetRequiredService<ILogger<PeriodicLoop>>()));
}
