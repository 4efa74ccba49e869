using Azure.Storage.Queues;

namespace Inventory.Api.Queues;

/// <summary>
/// Queue clients on the Functions storage account (AzureWebJobsStorage). Messages are Base64, as the Functions
/// queue trigger reads them by default.
/// </summary>
public sealed class StorageQueues(string connectionString)
{
    private static readonly QueueClientOptions Options = CreateOptions();

    public QueueClient Get(string name) => new(connectionString, name, Options);

    /// <summary>
    /// The storage account failed or did not answer (not a cancellation by the caller). The SDK reports its last
    /// retry as an AggregateException of the attempts, a network timeout as a TaskCanceledException.
    /// </summary>
    public static bool IsUnavailable(Exception e, CancellationToken cancellationToken) => e switch
    {
        Azure.RequestFailedException or HttpRequestException or TimeoutException or System.IO.IOException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AggregateException aggregate => aggregate.InnerExceptions.All(i => IsUnavailable(i, cancellationToken)),
        _ => false,
    };

    private static QueueClientOptions CreateOptions()
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        // The SDK's default (6 tries, up to 100 s per try) holds a caller ~25 s against a refused port. Every caller
        // here has its own fallback (the journal sweep finds unannounced changes; timers run again), so fail fast.
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(3);
        return options;
    }
}
