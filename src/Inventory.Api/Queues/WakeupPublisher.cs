using Inventory.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Queues;

/// <summary>
/// Announces journal ranges to the task engine off the request path: one message per partition per interval,
/// whatever the order rate (a Storage queue takes about 2,000 messages/s; Redis takes far more orders).
/// A message that cannot be sent is retried next round; one lost in the queue is found by the journal sweep.
/// </summary>
public sealed partial class WakeupPublisher(JournalActivity activity, StorageQueues queues, WakeupOptions options, ILogger<WakeupPublisher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = queues.Get(QueueNames.Tasks);
        var created = false;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(10, options.IntervalMilliseconds)));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            foreach (var (partition, afterId, throughId) in activity.TakeUnannounced())
            {
                try
                {
                    if (!created)
                    {
                        await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
                        created = true;
                    }

                    var message = new WakeupMessage(partition, afterId ?? "0", throughId).ToJson();
                    await queue.SendMessageAsync(message, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    activity.Unannounce(partition, afterId);
                    LogSendFailed(logger, partition, e.Message);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wake-up for partition {Partition} not sent; retrying next round: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, int partition, string reason);
}
