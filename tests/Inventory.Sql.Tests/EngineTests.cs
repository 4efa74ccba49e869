using System.Collections.Concurrent;
using System.Threading.Channels;
using Inventory.Engine;
using Inventory.Persistence;
using Inventory.Sql.Tests.Infrastructure;

namespace Inventory.Sql.Tests;

/// <summary>The handlers end to end against a real database and an in-memory journal; then rows are counted.</summary>
public class EngineTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Thousands_of_changes_announced_by_duplicate_and_reordered_messages_are_persisted_exactly_once(string provider)
    {
        await using var h = await EngineHarness.CreateAsync(provider, partitions: 8);
        var messages = new List<WakeupMessage>();
        for (var round = 0; round < 10; round++)
        {
            Workload.Append(h.Journal, 400, skus: 150, seed: round, prefix: $"r{round}");
            messages.AddRange(h.MessagesForEverything());
        }

        var delivered = messages.Concat(messages).OrderBy(_ => Random.Shared.Next()).ToList();
        var reports = new ConcurrentBag<EngineReport>();
        await Parallel.ForEachAsync(delivered, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (message, ct) =>
            reports.Add(await h.Engine.Wakeups.HandleAsync(message.ToJson(), ct)));
        await h.RunTimersUntilQuietAsync();

        await h.AssertConvergedAsync();
        Assert.Equal(messages.Count, reports.Count(r => r.Duplicate));
        Assert.Empty(reports.SelectMany(r => r.Errors));
        Assert.Equal(messages.Count, await CountAsync(h, TaskKinds.Persist));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Changes_keep_arriving_while_messages_are_handled(string provider)
    {
        await using var h = await EngineHarness.CreateAsync(provider, partitions: 4);
        var queue = new ChannelQueue();
        var coalescer = new WakeupCoalescer(queue);
        var producer = Task.Run(async () =>
        {
            for (var round = 0; round < 40; round++)
            {
                var before = h.Journal.History.Count;
                Workload.Append(h.Journal, 50, skus: 60, seed: round, prefix: $"p{round}");
                foreach (var entry in h.Journal.History.Skip(before))
                {
                    coalescer.Observe(entry.Partition, entry.StreamId);
                }

                await coalescer.FlushAsync();
            }

            queue.Writer.Complete();
        });
        var consumers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            await foreach (var message in queue.Reader.ReadAllAsync())
            {
                await h.Engine.Wakeups.HandleAsync(message);
            }
        }));
        await Task.WhenAll([producer, .. consumers]);
        await h.RunTimersUntilQuietAsync();

        await h.AssertConvergedAsync();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_journal_sweep_persists_changes_no_message_announced(string provider)
    {
        await using var h = await EngineHarness.CreateAsync(provider, configure: o => o.SweepGrace = TimeSpan.FromHours(1));
        Workload.Append(h.Journal, 1500, skus: 80, seed: 7);

        var tooEarly = await h.Engine.JournalSweep.RunAsync();
        Assert.Equal(0, tooEarly.Affected);
        Assert.Equal(0, await h.Db.Ledger.CountLedgerAsync());

        h.Engine.Options.SweepGrace = TimeSpan.Zero;
        var swept = await h.Engine.JournalSweep.RunAsync();
        Assert.Equal(h.Journal.PartitionCount, swept.Affected);
        await h.RunTimersUntilQuietAsync();

        await h.AssertConvergedAsync();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Work_abandoned_by_crashed_workers_is_recovered_without_loss_or_duplicates(string provider)
    {
        // No drain in the handler, so partition 2's children are still there for the crashing process to take.
        await using var h = await EngineHarness.CreateAsync(provider, partitions: 4, configure: o => o.DrainBudget = TimeSpan.Zero);
        Workload.Append(h.Journal, 2000, skus: 100, seed: 11);
        var messages = h.MessagesForEverything().OrderBy(m => m.Partition).ToList();

        // Crash 1: a process created the persist tasks of partitions 0 and 1 and died before running them.
        foreach (var message in messages.Take(2))
        {
            Assert.NotNull(await h.Db.Store.InsertClaimedAsync(
                h.Engine.Sharding.OfPartition(message.Partition), PersistTasks.For(message, 10), Tasks.LeaseFor("crashed-1")));
        }

        // Crash 2: partition 2's persist runs; a process then claims its children and dies holding them.
        await h.Engine.Wakeups.HandleAsync(messages[2]);
        var abandoned = 0;
        for (var shard = 0; shard < h.Db.Options.TaskShards; shard++)
        {
            abandoned += (await h.Db.Store.ClaimAsync(shard, 1000, Tasks.LeaseFor("crashed-2"))).Count;
        }

        // Crash 3: partition 3's persist dies in the middle of its third page, transaction open.
        using var dying = new CancellationTokenSource();
        var partition3Reads = 0;
        h.Faults.BeforeRead = async (partition, _, ct) =>
        {
            if (partition == 3 && Interlocked.Increment(ref partition3Reads) == 3)
            {
                await dying.CancelAsync();
                await Task.Delay(Timeout.Infinite, ct);
            }
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Engine.Wakeups.HandleAsync(messages[3], dying.Token));
        h.Faults.BeforeRead = null;

        await h.AssertNothingTrimmedThatSqlLacksAsync();
        var ledgerOfPartition3 = await h.Db.CountAsync("ledger", "journal_partition = 3");
        Assert.Equal(2 * h.Engine.Options.JournalPageSize, ledgerOfPartition3);
        Assert.True(abandoned > 0);

        Assert.Empty((await h.Engine.Dispatcher.RunDueAsync()).Errors);
        for (var shard = 0; shard < h.Db.Options.TaskShards; shard++)
        {
            await h.Db.ExpireLeasesAsync(shard);
        }

        var unlocked = await h.Engine.StaleLeases.RunAsync();
        Assert.Equal(2 + abandoned + 1, unlocked.Affected);
        await h.RunTimersUntilQuietAsync();

        await h.AssertConvergedAsync();
        var tasks = await h.Db.AllTasksAsync();
        Assert.Equal(2 + abandoned + 1, tasks.Count(t => t.Attempts == 2 && t.LastError?.Contains("expired", StringComparison.Ordinal) == true));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Failed_steps_are_retried_and_a_task_out_of_attempts_waits_dead_for_an_operator(string provider)
    {
        await using var h = await EngineHarness.CreateAsync(provider, partitions: 2, configure: o => o.MaxAttempts = 3);
        Workload.Append(h.Journal, 300, skus: 20, seed: 3);
        var redisDown = true;
        h.Faults.BeforeRead = (_, call, _) => call == 1 ? throw new TimeoutException("redis read timed out") : Task.CompletedTask;
        h.Faults.BeforeTrim = (partition, _) => partition == 1 && redisDown ? throw new TimeoutException("redis trim timed out") : Task.CompletedTask;

        var first = await h.Engine.Wakeups.HandleAsync(h.MessagesForEverything().First(m => m.Partition == 0));
        Assert.Equal(1, first.Failed);
        foreach (var message in h.MessagesForEverything())
        {
            await h.Engine.Wakeups.HandleAsync(message with { ThroughId = message.ThroughId + "0" });
        }

        await h.RunTimersUntilQuietAsync();

        var dead = await h.Engine.Operations.GetDeadAsync();
        Assert.NotEmpty(dead);
        Assert.All(dead, t => Assert.Equal((TaskKinds.Trim, 3, "TimeoutException: redis trim timed out"), (t.Kind, t.Attempts, t.LastError)));
        var stats = await h.Engine.Operations.GetStatsAsync();
        Assert.Equal(dead.Count, stats.Backlog.Where(b => b.Status == TaskStatuses.Dead).Sum(b => b.Count));
        Assert.Contains(stats.Backlog, b => b.Status == TaskStatuses.Waiting);
        Assert.True(stats.Partitions.Single(p => p.Partition == 1).JournalLength > 0);
        Assert.Equal(0, stats.Partitions.Single(p => p.Partition == 0).JournalLength);

        redisDown = false;
        foreach (var task in dead)
        {
            Assert.True(await h.Engine.Operations.RetryAsync(task.Id));
        }

        await h.RunTimersUntilQuietAsync();
        await h.AssertConvergedAsync();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Stock_changed_events_carry_every_skus_final_stock(string provider)
    {
        var publisher = new RecordingPublisher();
        await using var h = await EngineHarness.CreateAsync(provider, publisher: publisher);
        Workload.Append(h.Journal, 800, skus: 50, seed: 5);

        foreach (var message in h.MessagesForEverything())
        {
            await h.Engine.Wakeups.HandleAsync(message);
        }

        await h.RunTimersUntilQuietAsync();

        await h.AssertConvergedAsync();
        var latest = publisher.Snapshots
            .GroupBy(s => s.Sku)
            .ToDictionary(g => g.Key, g => g.MaxBy(s => s.Sequence)!);
        Assert.Equal(h.Journal.Stock.Count, latest.Count);
        Assert.All(h.Journal.Stock, p => Assert.Equal(p.Value, latest[p.Key].Available));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Done_tasks_are_pruned_after_retention(string provider)
    {
        await using var h = await EngineHarness.CreateAsync(provider);
        Workload.Append(h.Journal, 500, skus: 30, seed: 9);
        foreach (var message in h.MessagesForEverything())
        {
            await h.Engine.Wakeups.HandleAsync(message);
        }

        await h.RunTimersUntilQuietAsync();
        var total = (await h.Db.AllTasksAsync()).Count;
        Assert.Equal(0, (await h.Engine.Pruner.RunAsync()).Affected);

        for (var shard = 0; shard < h.Db.Options.TaskShards; shard++)
        {
            await h.Db.AgeDoneTasksAsync(shard, 2 * 3600);
        }

        Assert.Equal(total, (await h.Engine.Pruner.RunAsync()).Affected);
        Assert.Empty(await h.Db.AllTasksAsync());
    }

    private static async Task<int> CountAsync(EngineHarness h, string kind) =>
        (await h.Db.AllTasksAsync()).Count(t => t.Kind == kind);

    private sealed class ChannelQueue : IWakeupQueue
    {
        private readonly Channel<WakeupMessage> _channel = Channel.CreateUnbounded<WakeupMessage>();

        public ChannelReader<WakeupMessage> Reader => _channel.Reader;

        public ChannelWriter<WakeupMessage> Writer => _channel.Writer;

        public Task SendAsync(WakeupMessage message, CancellationToken cancellationToken = default) =>
            _channel.Writer.WriteAsync(message, cancellationToken).AsTask();
    }

    private sealed class RecordingPublisher : IStockEventPublisher
    {
        private readonly ConcurrentQueue<StockSnapshot> _snapshots = new();

        public IReadOnlyCollection<StockSnapshot> Snapshots => _snapshots;

        public Task PublishAsync(IReadOnlyList<StockSnapshot> snapshots, CancellationToken cancellationToken = default)
        {
            foreach (var snapshot in snapshots)
            {
                _snapshots.Enqueue(snapshot);
            }

            return Task.CompletedTask;
        }
    }
}
