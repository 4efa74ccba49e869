using Inventory.Engine;
using Inventory.Persistence;
using Inventory.Sql.Tests.Infrastructure;

namespace Inventory.Sql.Tests;

/// <summary>
/// A journal that reuses sequences SQL holds with other content (Redis lost changes SQL has, a lossy failover) is
/// found by the ledger insert, blocks the partition, and is recorded under new sequences: no unit lost, doubled or
/// conjured.
/// </summary>
public class DivergentHistoryTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Clashing_entries_block_the_partition_and_are_renumbered_after_sqls_history(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new SwitchableJournal(new InMemoryJournal(1));
        var blocker = new RecordingBlocker();
        var engine = new TaskEngine(db.Store, db.Ledger, journal, Options(), blocker: blocker);

        // What SQL has: a = 10, then o1, o2, o3 (one each).
        var before = (InMemoryJournal)journal.Current;
        before.Set("a", 10);
        foreach (var order in new[] { "o1", "o2", "o3" })
        {
            before.Deduct(order, "a", 1);
        }

        await RunUntilQuietAsync(engine);

        // The new primary had a only through o1: its journal continues from there, with new orders on o2's and o3's
        // sequences, one beyond them, and a stock set. Its stream ids must follow the persisted ones, as Redis's clock does.
        await WaitUntilAsync(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > before.History[^1].TimestampMs);
        var after = new InMemoryJournal(1);
        after.Set("a", 10);
        after.Deduct("o1", "a", 1);
        var n1 = after.Deduct("n1", "a", 2);
        var n2 = after.Deduct("n2", "a", 1);
        after.Deduct("n3", "a", 1);
        after.Set("a", 20);
        after.Set("c", 1);
        journal.Current = after;
        await RunUntilQuietAsync(engine);

        var call = Assert.Single(blocker.Calls);
        Assert.Equal(0, call.Partition);
        Assert.Equal([(n1.Sku, n1.Sequence), (n2.Sku, n2.Sequence)], call.Divergent.Select(e => (e.Sku, e.Sequence)));

        var ledger = await db.QueryAsync<(string Sku, long Seq, string Kind, string Reference, long Delta, long After)>(
            "SELECT sku, seq, kind, reference_id, delta, available_after FROM ledger ORDER BY sku, seq");
        Assert.Equal(
            [
                ("a", 1L, "set", "", 10L, 10L), ("a", 2L, "deduct", "o1", -1L, 9L), ("a", 3L, "deduct", "o2", -1L, 8L), ("a", 4L, "deduct", "o3", -1L, 7L),
                ("a", 5L, "deduct", "n1", -2L, 5L), ("a", 6L, "deduct", "n2", -1L, 4L), ("a", 7L, "deduct", "n3", -1L, 3L), ("a", 8L, "set", "", 17L, 20L),
                ("c", 1L, "set", "", 1L, 1L),
            ],
            ledger.Select(r => (r.Sku, r.Seq, r.Kind, r.Reference, r.Delta, r.After)));
        Assert.Equal([("a", 20L, 8L)], (await db.Ledger.GetStockAsync(["a"])).Select(s => (s.Sku, s.Available, s.LastSeq)));
        Assert.Equal(4, call.Renumbered.Count);
        Assert.Empty((await db.AllTasksAsync()).Where(t => t.Status != TaskStatuses.Done).Select(t => $"{t.Kind} {t.Status} {t.LastError}"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Without_a_blocker_a_diverged_page_fails_and_nothing_of_it_is_persisted(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new SwitchableJournal(new InMemoryJournal(1));
        var engine = new TaskEngine(db.Store, db.Ledger, journal, Options());
        var before = (InMemoryJournal)journal.Current;
        before.Set("a", 10);
        before.Deduct("o1", "a", 1);
        await RunUntilQuietAsync(engine);

        await WaitUntilAsync(() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() > before.History[^1].TimestampMs);
        var after = new InMemoryJournal(1);
        after.Set("a", 10);
        after.Deduct("n1", "a", 1);
        journal.Current = after;
        await engine.JournalSweep.RunAsync();

        Assert.Equal(2, await db.Ledger.CountLedgerAsync());
        Assert.Contains((await db.AllTasksAsync()).Select(t => t.LastError), e => e is not null && e.Contains("diverged", StringComparison.Ordinal));
    }

    private static TaskEngineOptions Options() => new()
    {
        Owner = "divergence-test",
        Lease = TimeSpan.FromSeconds(10),
        RetryBaseDelay = TimeSpan.FromMinutes(5),
        SweepGrace = TimeSpan.Zero,
        DrainBudget = TimeSpan.FromSeconds(30),
        DispatchBudget = TimeSpan.FromSeconds(30),
    };

    private static async Task RunUntilQuietAsync(TaskEngine engine)
    {
        for (var round = 0; round < 50; round++)
        {
            var swept = await engine.JournalSweep.RunAsync();
            var dispatched = await engine.Dispatcher.RunDueAsync();
            Assert.Empty(swept.Errors.Concat(dispatched.Errors));
            if (swept.Claimed == 0 && dispatched.Claimed == 0)
            {
                return;
            }
        }

        throw new InvalidOperationException("The engine is still busy after 50 rounds.");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached");
            await Task.Delay(1);
        }
    }

    /// <summary>Redis's journal before and after a failover: the engine reads whichever is current.</summary>
    private sealed class SwitchableJournal(IJournal initial) : IJournal
    {
        public IJournal Current { get; set; } = initial;

        public int PartitionCount => Current.PartitionCount;

        public Task<IReadOnlyList<JournalEntry>> ReadAsync(int partition, string afterId, int maxCount, CancellationToken cancellationToken = default) =>
            Current.ReadAsync(partition, afterId, maxCount, cancellationToken);

        public Task<long> TrimAsync(int partition, string throughId, CancellationToken cancellationToken = default) =>
            Current.TrimAsync(partition, throughId, cancellationToken);

        public Task<long> LengthAsync(int partition, CancellationToken cancellationToken = default) =>
            Current.LengthAsync(partition, cancellationToken);
    }

    private sealed class RecordingBlocker : IPartitionBlocker
    {
        public List<(int Partition, IReadOnlyList<JournalEntry> Divergent, IReadOnlyList<JournalEntry> Renumbered)> Calls { get; } = [];

        public Task BlockAsync(int partition, IReadOnlyList<JournalEntry> divergent, IReadOnlyList<JournalEntry> renumbered, CancellationToken cancellationToken = default)
        {
            lock (Calls)
            {
                Calls.Add((partition, divergent, renumbered));
            }

            return Task.CompletedTask;
        }
    }
}
