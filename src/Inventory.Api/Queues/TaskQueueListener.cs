using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Inventory.Engine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Queues;

public sealed class QueueListenerOptions
{
    public int BatchSize { get; set; } = 16;

    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public int MaxDequeueCount { get; set; } = 5;

    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// The plain server's stand-in for the Functions queue trigger on inventory-tasks, with the same semantics as
/// host.json sets them: Base64 messages, a batch at a time, a failed message becomes visible again after the
/// visibility timeout, and after the fifth dequeue it moves to inventory-tasks-poison.
/// </summary>
public sealed partial class TaskQueueListener(StorageQueues queues, WakeupHandler handler, QueueListenerOptions options, ILogger<TaskQueueListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = queues.Get(QueueNames.Tasks);
        var poison = queues.Get(QueueNames.TasksPoison);
        var idle = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] batch;
            try
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
                batch = (await queue.ReceiveMessagesAsync(options.BatchSize, options.VisibilityTimeout, stoppingToken).ConfigureAwait(false)).Value;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReceiveFailed(logger, e.Message);
                batch = [];
            }

            if (batch.Length == 0)
            {
                // Back off like the Functions listener: quick while busy, up to the maximum polling interval when idle.
                await Task.Delay(idle, stoppingToken).ConfigureAwait(false);
                idle = TimeSpan.FromMilliseconds(Math.Min(idle.TotalMilliseconds * 2, options.MaxPollingInterval.TotalMilliseconds));
                continue;
            }

            idle = TimeSpan.FromMilliseconds(100);
            await Task.WhenAll(batch.Select(m => HandleAsync(queue, poison, m, stoppingToken))).ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken stoppingToken)
    {
        try
        {
            await handler.HandleAsync(message.MessageText, stoppingToken).ConfigureAwait(false);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            LogHandleFailed(logger, message.MessageId, message.DequeueCount, e.Message);
            if (message.DequeueCount >= options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(queue, poison, message, stoppingToken).ConfigureAwait(false);
            }

            // Otherwise the message stays invisible until the visibility timeout and is delivered again.
        }
    }

    private async Task MoveToPoisonAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken stoppingToken)
    {
        try
        {
            await poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
            await poison.SendMessageAsync(message.MessageText, stoppingToken).ConfigureAwait(false);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogHandleFailed(logger, message.MessageId, message.DequeueCount, "moving to poison failed: " + e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving from inventory-tasks failed: {Reason}")]
    private static partial void LogReceiveFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wake-up {MessageId} failed on dequeue {DequeueCount}: {Reason}")]
    private static partial void LogHandleFailed(ILogger logger, string messageId, long dequeueCount, string reason);
}
