using System.Text;
using Azure.Storage.Queues;
using Inventory.Persistence;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Http;

public class WakeupTests
{
    [Fact]
    public async Task Accepted_changes_wake_the_engine_in_batches_of_base64_messages_naming_journal_ranges()
    {
        var raw = new QueueClient(TestEnvironment.Storage, "inventory-tasks");
        await raw.CreateIfNotExistsAsync();
        await raw.ClearMessagesAsync();
        await using var redis = RedisTarget.Create("standalone");
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, new Dictionary<string, string>
        {
            ["Inventory__Wakeup__IntervalMilliseconds"] = "500",
            ["Inventory__Workers__Engine"] = "false",
        });
        await server.StartAsync();
        var skus = Enumerable.Range(0, 8).Select(i => $"w-{i}").ToList();
        foreach (var sku in skus)
        {
            await server.SetStockAsync(sku, 1000);
        }

        using var client = server.CreateClient();
        await Task.WhenAll(Enumerable.Range(0, 400).Select(i => client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order($"w{i}", (skus[i % 8], 1))))));
        var partitions = skus.Select(redis.Partitioner.PartitionOf).Distinct().ToList();
        var lastIds = new Dictionary<int, string>();
        foreach (var partition in partitions)
        {
            lastIds[partition] = (await redis.Journal.ReadAsync(partition, "0", 10_000))[^1].StreamId;
        }

        // Wake-ups go out every 500 ms: collect until each partition's latest entry has been named.
        var messages = new List<WakeupMessage>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!partitions.All(p => messages.Any(m => m.Partition == p && m.ThroughId == lastIds[p])) && DateTime.UtcNow < deadline)
        {
            var batch = (await raw.ReceiveMessagesAsync(32)).Value;
            if (batch.Length == 0)
            {
                await Task.Delay(100);
            }

            foreach (var message in batch)
            {
                // Base64 on the wire, as the Functions queue trigger expects by default.
                messages.Add(WakeupMessage.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(message.MessageText))));
                await raw.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }
        }

        Assert.InRange(messages.Count, partitions.Count, 100);
        foreach (var partition in partitions)
        {
            Assert.Contains(messages, m => m.Partition == partition && m.ThroughId == lastIds[partition]);
        }
    }
}
