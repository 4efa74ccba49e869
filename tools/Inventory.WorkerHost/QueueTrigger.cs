using System.Diagnostics;
using System.Text;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Inventory.WorkerHost.Rpc;

namespace Inventory.WorkerHost;

/// <summary>
/// Polls one queue for a queue-triggered function with host.json's settings: batches of batchSize handled
/// concurrently, empty polls backing off up to maxPollingInterval, delete on success, a failed message made visible
/// again after visibilityTimeout, and after maxDequeueCount attempts moved to &lt;queue&gt;-poison.
/// </summary>
internal sealed class QueueTrigger(WorkerFunction function, string connectionString, QueueTriggerSettings settings, WorkerConnection worker, Action<QueueOutcome> record, Action<string> log)
{
    // While a message is being handled it stays invisible this long (the Functions host renews its lease instead).
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    public string QueueName { get; } = (function.TriggerProperty("queueName") ?? throw new InvalidOperationException($"{function.Name} names no queue")).ToLowerInvariant();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Raw clients: messages are decoded here, so one undecodable message goes to poison instead of failing a batch.
        var queue = new QueueClient(connectionString, QueueName);
        var poison = new QueueClient(connectionString, QueueName + "-poison");
        await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        log($"[host] {function.Name}: polling queue {QueueName} (batch {settings.BatchSize}, maxDequeueCount {settings.MaxDequeueCount}, visibilityTimeout {settings.VisibilityTimeout})");
        var idle = MinPollingInterval;
        while (!cancellationToken.IsCancellationRequested)
        {
            QueueMessage[] batch;
            try
            {
                batch = (await queue.ReceiveMessagesAsync(settings.BatchSize, Lease, cancellationToken)).Value;
            }
            catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException)
            {
                log($"[host] {function.Name}: receiving from {QueueName} failed: {e.Message}");
                batch = [];
            }

            if (batch.Length == 0)
            {
                await Task.Delay(idle, cancellationToken);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, Math.Max(settings.MaxPollingInterval.Ticks, MinPollingInterval.Ticks)));
                continue;
            }

            idle = MinPollingInterval;
            await Task.WhenAll(batch.Select(message => HandleAsync(queue, poison, message, cancellationToken)));
        }
    }

    private async Task HandleAsync(QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        if (!TryDecode(message.MessageText, out var text))
        {
            log($"[host] {function.Name}: message {message.MessageId} is not Base64; moving it to {poison.Name}");
            await PoisonAsync(queue, poison, message, "", cancellationToken);
            return;
        }

        var request = Invocations.New(function, new TypedData { String = text });
        request.TriggerMetadata["Id"] = new TypedData { String = message.MessageId };
        request.TriggerMetadata["PopReceipt"] = new TypedData { String = message.PopReceipt };
        request.TriggerMetadata["DequeueCount"] = new TypedData { Json = message.DequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        request.TriggerMetadata["InsertionTime"] = new TypedData { Json = $"\"{message.InsertedOn:O}\"" };
        request.TriggerMetadata["ExpirationTime"] = new TypedData { Json = $"\"{message.ExpiresOn:O}\"" };
        request.TriggerMetadata["NextVisibleTime"] = new TypedData { Json = $"\"{message.NextVisibleOn:O}\"" };

        string? error;
        try
        {
            var response = await worker.InvokeAsync(request, cancellationToken);
            error = response.Succeeded() ? null : response.Failure();
        }
        catch (IOException e)
        {
            error = e.Message;
        }

        if (error is null)
        {
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            record(new QueueOutcome(function.Name, message.MessageId, text, message.DequeueCount, QueueOutcomeKind.Succeeded, null, started.Elapsed));
        }
        else if (message.DequeueCount >= settings.MaxDequeueCount)
        {
            log($"[host] {function.Name}: message {message.MessageId} failed {message.DequeueCount} times ({error}); moving it to {poison.Name}");
            await PoisonAsync(queue, poison, message, text, cancellationToken);
            record(new QueueOutcome(function.Name, message.MessageId, text, message.DequeueCount, QueueOutcomeKind.Poisoned, error, started.Elapsed));
        }
        else
        {
            log($"[host] {function.Name}: message {message.MessageId} failed (attempt {message.DequeueCount}): {error}");
            await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: cancellationToken);
            record(new QueueOutcome(function.Name, message.MessageId, text, message.DequeueCount, QueueOutcomeKind.Retried, error, started.Elapsed));
        }
    }

    private static async Task PoisonAsync(QueueClient queue, QueueClient poison, QueueMessage message, string text, CancellationToken cancellationToken)
    {
        // The body is copied as it was on the wire, so the poison queue keeps the queue's encoding.
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poison.SendMessageAsync(message.MessageText, cancellationToken);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
    }

    private bool TryDecode(string raw, out string text)
    {
        if (!settings.Base64)
        {
            text = raw;
            return true;
        }

        var buffer = new byte[raw.Length];
        if (Convert.TryFromBase64String(raw, buffer, out var length))
        {
            text = Encoding.UTF8.GetString(buffer, 0, length);
            return true;
        }

        text = raw;
        return false;
    }
}

public enum QueueOutcomeKind
{
    Succeeded,
    Retried,
    Poisoned,
}

/// <summary>What happened to one delivery of a queue message.</summary>
public sealed record QueueOutcome(string Function, string MessageId, string Text, long DequeueCount, QueueOutcomeKind Kind, string? Error, TimeSpan Duration);
