using Azure.Storage.Queues;

namespace Inventory.Api.Queues;

/// <summary>
/// Queue clients on the Functions storage account (AzureWebJobsStorage). Messages are Base64, as the Functions
/// queue trigger reads them by default.
/// </summary>
public sealed class StorageQueues(string connectionString)
{
    private static readonly QueueClientOptions Options = new() { MessageEncoding = QueueMessageEncoding.Base64 };

    public QueueClient Get(string name) => new(connectionString, name, Options);
}
