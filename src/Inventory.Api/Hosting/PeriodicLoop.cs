using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Hosting;

/// <summary>
/// The plain server's stand-in for a Functions timer trigger: runs one handler on a fixed interval, logs and
/// survives its failures, and never overlaps itself.
/// </summary>
public sealed partial class PeriodicLoop(string name, TimeSpan interval, Func<IServiceProvider, CancellationToken, Task> work, IServiceProvider services, ILogger<PeriodicLoop> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        do
        {
            try
            {
                await work(services, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, name, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Loop} failed; running again next interval: {Reason}")]
    private static partial void LogFailed(ILogger logger, string loop, string reason);
}
