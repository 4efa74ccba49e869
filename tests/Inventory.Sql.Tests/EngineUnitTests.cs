using System.Text;
using Inventory.Engine;
using Inventory.Persistence;

namespace Inventory.Sql.Tests;

/// <summary>The engine's decisions that need no database.</summary>
public class EngineUnitTests
{
    [Fact]
    public void Retry_delay_doubles_per_attempt_within_jitter_and_stops_at_the_cap()
    {
        var policy = new RetryPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));

        Assert.Equal(TimeSpan.FromSeconds(0.75), policy.DelayFor(1, 0));
        Assert.Equal(TimeSpan.FromSeconds(1.25), policy.DelayFor(1, 1));
        Assert.Equal(TimeSpan.FromSeconds(8), policy.DelayFor(4, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(60), policy.DelayFor(30, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(75), policy.DelayFor(1000, 1));
    }

    [Fact]
    public void Sharding_is_stable_in_range_and_spreads_one_partitions_skus()
    {
        var sharding = new TaskSharding(16);
        var partitioner = new Inventory.Domain.Partitioner(16);
        var skus = Enumerable.Range(0, 5000).Select(i => $"sku-{i}").Where(s => partitioner.PartitionOf(s) == 3).ToList();

        var shards = skus.Select(sharding.OfSku).ToList();

        Assert.Equal(shards, skus.Select(new TaskSharding(16).OfSku));
        Assert.All(shards, s => Assert.InRange(s, 0, 15));
        Assert.Equal(16, shards.Distinct().Count());
        Assert.Equal(3, sharding.OfPartition(19));
    }

    [Fact]
    public void A_page_gets_one_apply_child_per_shard_with_its_skus_and_one_trim_child_through_its_last_entry()
    {
        var sharding = new TaskSharding(4);
        var journal = new InMemoryJournal(1);
        var page = Enumerable.Range(0, 40).Select(i => journal.Deduct($"o{i}", $"sku-{i % 10}", 1)).ToList();
        var parent = new ClaimedTask { Shard = 2, Id = 77, Kind = TaskKinds.Persist };

        var children = new ChildPlanner(sharding, 7).Plan(parent, 0, page);

        var applies = children.Where(c => c.Task.Kind == TaskKinds.Apply).ToList();
        var trim = Assert.Single(children, c => c.Task.Kind == TaskKinds.Trim);
        Assert.Equal(applies.Select(a => a.Shard).Order(), applies.Select(a => a.Shard));
        Assert.All(applies, a => Assert.All(ApplyPayload.Parse(a.Task.Payload).Skus, sku => Assert.Equal(a.Shard, sharding.OfSku(sku))));
        Assert.Equal(
            Enumerable.Range(0, 10).Select(i => $"sku-{i}").Order(StringComparer.Ordinal),
            applies.SelectMany(a => ApplyPayload.Parse(a.Task.Payload).Skus).Order(StringComparer.Ordinal));
        Assert.Equal((2, new TrimPayload(0, page[^1].StreamId)), (trim.Shard, TrimPayload.Parse(trim.Task.Payload)));
        Assert.All(children, c => Assert.Equal((77L, 2, 7), (c.Task.ParentId!.Value, c.Task.ParentShard!.Value, c.Task.MaxAttempts)));
        Assert.Equal(children.Count, children.Select(c => c.Task.DedupeKey).Distinct().Count());
    }

    [Fact]
    public void Wakeup_messages_round_trip_as_json_and_base64_and_reject_garbage()
    {
        var message = new WakeupMessage(3, "1700000000000-0", "1700000000123-4");

        Assert.Equal("""{"partition":3,"afterId":"1700000000000-0","throughId":"1700000000123-4"}""", message.ToJson());
        Assert.Equal(message, WakeupMessage.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(message.ToBase64()))));
        Assert.Null(WakeupMessage.Parse("""{"partition":1,"afterId":"0","throughId":null}""").ThroughId);
        Assert.Throws<FormatException>(() => WakeupMessage.Parse("not json"));
        Assert.Throws<FormatException>(() => WakeupMessage.Parse("""{"partition":-1,"afterId":"0"}"""));
        Assert.Throws<FormatException>(() => WakeupMessage.Parse("""{"partition":1}"""));
    }

    [Fact]
    public async Task The_in_memory_journal_writes_like_the_Redis_scripts()
    {
        var journal = new InMemoryJournal(2);
        journal.Set("a", 10);
        var deduct = journal.Deduct("o1", "a", 3);
        var cancel = journal.Cancel("o1", "a", 3);
        var p = deduct.Partition;

        Assert.Equal((2L, 7L, -3L), (deduct.Sequence, deduct.AvailableAfter, deduct.Delta));
        Assert.Equal((3L, 10L), (cancel.Sequence, cancel.AvailableAfter));
        Assert.True(StreamIds.Compare(cancel.StreamId, deduct.StreamId) > 0);
        Assert.Equal([deduct, cancel], await journal.ReadAsync(p, journal.History[0].StreamId, 10));
        Assert.Equal(0, await journal.TrimAsync(p, "1-0"));
        Assert.Equal(2, await journal.TrimAsync(p, deduct.StreamId));
        Assert.Equal([cancel], await journal.ReadAsync(p, "0", 10));
        Assert.Equal(1, await journal.LengthAsync(p));
    }

    [Fact]
    public async Task The_coalescer_sends_one_message_per_dirty_partition_and_keeps_failed_ones_for_later()
    {
        var queue = new RecordingQueue();
        var coalescer = new WakeupCoalescer(queue);
        coalescer.Observe(1, "5-0");
        coalescer.Observe(1, "9-0");
        coalescer.Observe(1, "7-0");
        coalescer.Observe(2, "3-0");

        Assert.Equal(2, await coalescer.FlushAsync());
        Assert.Equal(0, await coalescer.FlushAsync());
        coalescer.Observe(1, "12-0");
        queue.Fail = true;
        await Assert.ThrowsAsync<InvalidOperationException>(() => coalescer.FlushAsync());
        queue.Fail = false;
        Assert.Equal(1, await coalescer.FlushAsync());

        Assert.Equal(
            [new WakeupMessage(1, "0", "9-0"), new WakeupMessage(2, "0", "3-0"), new WakeupMessage(1, "9-0", "12-0")],
            queue.Sent.OrderBy(m => m.ThroughId == "12-0").ThenBy(m => m.Partition));
    }

    private sealed class RecordingQueue : IWakeupQueue
    {
        public List<WakeupMessage> Sent { get; } = [];

        public bool Fail { get; set; }

        public Task SendAsync(WakeupMessage message, CancellationToken cancellationToken = default)
        {
            if (Fail)
            {
                throw new InvalidOperationException("queue down");
            }

            Sent.Add(message);
            return Task.CompletedTask;
        }
    }
}
