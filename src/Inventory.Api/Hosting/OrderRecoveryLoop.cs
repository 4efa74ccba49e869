using Inventory.Application;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Hosting;

/// <summary>
/// Rolls back multi-partition orders whose process died midway. In Azure Functions the RecoverOrders timer
/// calls the same store method; the plain server runs this loop instead.
/// </summary>
public sealed partial class OrderRecoveryLoop(IInventoryStore store, ILogger<OrderRecoveryLoop> logger, TimeSpan interval) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                var recovered = await store.RecoverAbandonedOrdersAsync(stoppingToken).ConfigureAwait(false);
                if (recovered > 0)
                {
                    LogRecovered(logger, recovered);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rolled back {Count} abandoned multi-partition orders")]
    private static partial void LogRecovered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order recovery failed; retrying next round: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
