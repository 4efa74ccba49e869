using Azure.Storage.Queues;

namespace Inventory.Api.Queues;

/// <summary>
/// Moves messages that reached inventory-tasks-poison (for example during a long SQL outage) back to
/// inventory-tasks, so nothing poisoned is silently lost. Called by a timer and by an admin route.
/// </summary>
public sealed class PoisonRedriver(StorageQueues queues)
{
    public async Task<int> RedriveAsync(int max = 256, CancellationToken cancellationToken = default)
    {
        var poison = queues.Get(QueueNames.TasksPoison);
        var tasks = queues.Get(QueueNames.Tasks);
        if (!await poison.ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        await tasks.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var moved = 0;
        while (moved < max)
        {
            var batch = (await poison.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false)).Value;
            if (batch.Length == 0)
            {
                break;
            }

            foreach (var message in batch)
            {
                // Send before delete: a crash in between duplicates a wake-up, which the engine dedupes.
                await tasks.SendMessageAsync(message.MessageText, cancellationToken).ConfigureAwait(false);
                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
                moved++;
            }
        }

        return moved;
    }
}
