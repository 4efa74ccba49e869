using Inventory.Application;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Hosting;

public static class InventoryWorkers
{
    /// <summary>
    /// For hosts without timer and queue triggers (the plain server): hosted loops that call the same handlers the
    /// Functions triggers call, on the schedules configured for them.
    /// </summary>
    public static IServiceCollection AddInventoryWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        var recovery = configuration.GetValue("Inventory:Workers:OrderRecoveryInterval", TimeSpan.FromSeconds(10));
        services.AddHostedService(sp => new OrderRecoveryLoop(sp.GetRequiredService<IInventoryStore>(), sp.GetRequiredService<ILogger<OrderRecoveryLoop>>(), recovery));
        return services;
    }
}
