using Inventory.Engine;
using Inventory.Persistence;

namespace Inventory.Sql.Tests.Infrastructure;

/// <summary>A migrated database, an in-memory journal (optionally faulty) and the engine over both.</summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    private EngineHarness(TestDatabase db, InMemoryJournal journal, FaultyJournal faulty, TaskEngine engine)
    {
        Db = db;
        Journal = journal;
        Faults = faulty;
        Engine = engine;
    }

    public TestDatabase Db { get; }
    public InMemoryJournal Journal { get; }
    public FaultyJournal Faults { get; }
    public TaskEngine Engine { get; }

    public static async Task<EngineHarness> CreateAsync(
        string provider, int partitions = 4, int shards = 4, Action<TaskEngineOptions>? configure = null, IStockEventPublisher? publisher = null)
    {
        var db = await TestDatabase.CreateAsync(provider, shards);
        var journal = new InMemoryJournal(partitions);
        var faulty = new FaultyJournal(journal);
        var options = new TaskEngineOptions
        {
            Owner = "engine-test",
            Lease = TimeSpan.FromSeconds(10),
            JournalPageSize = 100,
            RetryBaseDelay = TimeSpan.Zero,
            SweepGrace = TimeSpan.Zero,
            DrainBudget = TimeSpan.FromSeconds(30),
            DispatchBudget = TimeSpan.FromSeconds(30),
        };
        configure?.Invoke(options);
        return new EngineHarness(db, journal, faulty, new TaskEngine(db.Store, db.Ledger, faulty, options, publisher));
    }

    /// <summary>What the timers do, repeated until a whole round finds nothing to run.</summary>
    public async Task RunTimersUntilQuietAsync(int maxRounds = 50)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            await Engine.StaleLeases.RunAsync();
            var dispatched = await Engine.Dispatcher.RunDueAsync();
            var swept = await Engine.JournalSweep.RunAsync();
            if (dispatched.Claimed == 0 && swept.Claimed == 0)
            {
                return;
            }
        }

        throw new InvalidOperationException($"Still busy after {maxRounds} rounds.");
    }

    /// <summary>Every partition's newest id, as the write path's coalescer would announce it.</summary>
    public IEnumerable<WakeupMessage> MessagesForEverything() =>
        Journal.History
            .GroupBy(e => e.Partition)
            .Select(g => new WakeupMessage(g.Key, "0", g.Last().StreamId));

    /// <summary>SQL agrees with Redis: each accepted change once in the ledger, stock equal, nothing left over.</summary>
    public async Task AssertConvergedAsync()
    {
        var history = Journal.History;
        var ledger = await Db.QueryAsync<(string Sku, long Seq, string StreamId)>("SELECT sku, seq, stream_id FROM ledger");
        Assert.Equal(history.Count, ledger.Count);
        Assert.Equal(
            history.Select(e => (e.Sku, e.Sequence, e.StreamId)).Order(),
            ledger.Order());

        var expected = Journal.Stock.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)).ToList();
        var stock = await Db.Ledger.GetStockAsync(Journal.Stock.Keys.ToArray());
        Assert.Equal(expected, stock.Select(s => (s.Sku, s.Available)));

        var tasks = await Db.AllTasksAsync();
        Assert.Empty(tasks.Where(t => t.Status != TaskStatuses.Done).Select(t => $"{t.Kind} {t.Id} {t.Status} {t.LastError}"));
        for (var partition = 0; partition < Journal.PartitionCount; partition++)
        {
            Assert.Equal(0, await Journal.LengthAsync(partition));
        }
    }

    /// <summary>Trim runs only after the ledger commit: whatever left the journal is in SQL.</summary>
    public async Task AssertNothingTrimmedThatSqlLacksAsync()
    {
        var ledger = (await Db.QueryAsync<(string Sku, long Seq)>("SELECT sku, seq FROM ledger")).ToHashSet();
        var remaining = new HashSet<(string, long)>();
        for (var partition = 0; partition < Journal.PartitionCount; partition++)
        {
            foreach (var entry in await Journal.ReadAsync(partition, "0", int.MaxValue))
            {
                remaining.Add((entry.Sku, entry.Sequence));
            }
        }

        Assert.DoesNotContain(Journal.History, e => !ledger.Contains((e.Sku, e.Sequence)) && !remaining.Contains((e.Sku, e.Sequence)));
    }

    public ValueTask DisposeAsync() => Db.DisposeAsync();
}

/// <summary>Wraps the journal so a test can fail or stall a read or a trim, the way a Redis outage or a dying process would.</summary>
internal sealed class FaultyJournal(InMemoryJournal inner) : IJournal
{
    private int _reads;
    private int _trims;

    public Func<int, int, CancellationToken, Task>? BeforeRead { get; set; }

    public Func<int, int, Task>? BeforeTrim { get; set; }

    public int PartitionCount => inner.PartitionCount;

    public async Task<IReadOnlyList<JournalEntry>> ReadAsync(int partition, string afterId, int maxCount, CancellationToken cancellationToken = default)
    {
        var call = Interlocked.Increment(ref _reads);
        if (BeforeRead is { } hook)
        {
            await hook(partition, call, cancellationToken);
        }

        return await inner.ReadAsync(partition, afterId, maxCount, cancellationToken);
    }

    public async Task<long> TrimAsync(int partition, string throughId, CancellationToken cancellationToken = default)
    {
        var call = Interlocked.Increment(ref _trims);
        if (BeforeTrim is { } hook)
        {
            await hook(partition, call);
        }

        return await inner.TrimAsync(partition, throughId, cancellationToken);
    }

    public Task<long> LengthAsync(int partition, CancellationToken cancellationToken = default) => inner.LengthAsync(partition, cancellationToken);
}
