using System.Diagnostics;
using Dapper;
using Inventory.Engine;
using Inventory.Persistence;
using Microsoft.Data.SqlClient;
using Npgsql;
using static Inventory.Sql.SqlParameters;

namespace Inventory.Sql;

/// <summary>One scenario's figures: the engine draining a journal backlog beside one transaction per change.</summary>
public sealed record PersistenceBenchmarkResult(
    string Scenario,
    int Skus,
    int EngineChanges,
    double EngineSeconds,
    int NaiveChanges,
    double NaiveSeconds)
{
    public double EngineChangesPerSecond => EngineChanges / EngineSeconds;

    public double NaiveChangesPerSecond => NaiveChanges / NaiveSeconds;

    public double Speedup => EngineChangesPerSecond / NaiveChangesPerSecond;

    public override string ToString() =>
        $"{Scenario,-6} skus={Skus,-6} engine: {EngineChanges} changes in {EngineSeconds:F2}s = {EngineChangesPerSecond:F0}/s | " +
        $"naive: {NaiveChanges} in {NaiveSeconds:F2}s = {NaiveChangesPerSecond:F0}/s | x{Speedup:F1}";
}

/// <summary>
/// Measures persisted changes per second: the engine draining an in-memory journal backlog of deductions, and the
/// seed's naive persistence (one transaction per change: ledger insert plus sequence-guarded stock update) on the
/// same database and pool, for changes spread over many SKUs and for one hot SKU. It works in a scratch schema
/// (PostgreSQL) or scratch database (SQL Server) that it creates, migrates and drops, so the real ledger stays clean.
/// </summary>
public static class PersistenceBenchmark
{
    public static async Task<IReadOnlyList<PersistenceBenchmarkResult>> RunAsync(
        SqlOptions target,
        int changes = 100_000,
        int spreadSkus = 10_000,
        int naiveConcurrency = 16,
        TimeSpan? naiveTimeLimit = null,
        TextWriter? log = null,
        CancellationToken cancellationToken = default)
    {
        var limit = naiveTimeLimit ?? TimeSpan.FromSeconds(20);
        await using var scratch = await ScratchDatabase.CreateAsync(target, cancellationToken).ConfigureAwait(false);
        await new SqlMigrator(scratch.Database).MigrateAsync(cancellationToken).ConfigureAwait(false);
        log?.WriteLine($"persistence benchmark on {target.Provider}, scratch {scratch.Name}, {changes} deductions per scenario");

        var results = new List<PersistenceBenchmarkResult>();
        foreach (var (scenario, skus) in new[] { ("spread", spreadSkus), ("hot", 1) })
        {
            var engine = await RunEngineAsync(scratch.Database, Deductions($"e-{scenario}", changes, skus), cancellationToken).ConfigureAwait(false);
            var naive = await RunNaiveAsync(scratch.Database, Deductions($"n-{scenario}", changes, skus), naiveConcurrency, limit, cancellationToken).ConfigureAwait(false);
            var result = new PersistenceBenchmarkResult(scenario, skus, changes, engine.TotalSeconds, naive.Changes, naive.Elapsed.TotalSeconds);
            log?.WriteLine(result);
            results.Add(result);
        }

        return results;
    }

    private static InMemoryJournal Deductions(string prefix, int count, int skus)
    {
        var journal = new InMemoryJournal(16);
        for (var i = 0; i < skus; i++)
        {
            journal.Seed($"{prefix}-{i}", 1_000_000_000);
        }

        for (var i = 0; i < count; i++)
        {
            journal.Deduct($"{prefix}-order-{i}", $"{prefix}-{i % skus}", 1);
        }

        return journal;
    }

    /// <summary>From the first wakeup message to the last child done, with the dispatch timer running meanwhile.</summary>
    private static async Task<TimeSpan> RunEngineAsync(SqlDatabase database, InMemoryJournal journal, CancellationToken cancellationToken)
    {
        var store = new SqlTaskStore(database);
        var ledger = new SqlLedgerReader(database);
        var options = new TaskEngineOptions
        {
            Owner = "benchmark",
            DrainBudget = TimeSpan.FromMinutes(5),
            DispatchBudget = TimeSpan.FromMinutes(5),
            DispatchParallelism = 4,
        };
        var engine = new TaskEngine(store, ledger, journal, options);
        var expected = await ledger.CountLedgerAsync(cancellationToken).ConfigureAwait(false) + journal.History.Count;
        var messages = journal.History
            .GroupBy(e => e.Partition)
            .Select(g => new WakeupMessage(g.Key, "0", g.Last().StreamId))
            .ToList();

        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if ((await engine.Dispatcher.RunDueAsync(stop.Token).ConfigureAwait(false)).Claimed == 0)
                {
                    await Task.Delay(20, stop.Token).ConfigureAwait(false);
                }
            }
        }, stop.Token);
        await Parallel.ForEachAsync(
            messages,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (message, ct) => await engine.Wakeups.HandleAsync(message, ct).ConfigureAwait(false)).ConfigureAwait(false);

        while (await IsBusyAsync(store, ledger, expected, cancellationToken).ConfigureAwait(false))
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        var elapsed = clock.Elapsed;
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await timer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await VerifyAsync(ledger, journal, cancellationToken).ConfigureAwait(false);
        return elapsed;
    }

    private static async Task<bool> IsBusyAsync(SqlTaskStore store, SqlLedgerReader ledger, long expected, CancellationToken cancellationToken)
    {
        if (await ledger.CountLedgerAsync(cancellationToken).ConfigureAwait(false) < expected)
        {
            return true;
        }

        var backlog = await store.GetBacklogAsync(cancellationToken).ConfigureAwait(false);
        return backlog.Any(b => b.Status is TaskStatuses.Pending or TaskStatuses.Running or TaskStatuses.Waiting);
    }

    private static async Task VerifyAsync(SqlLedgerReader ledger, InMemoryJournal journal, CancellationToken cancellationToken)
    {
        foreach (var chunk in journal.Stock.Chunk(1000))
        {
            var stock = (await ledger.GetStockAsync(chunk.Select(p => p.Key).ToArray(), cancellationToken).ConfigureAwait(false))
                .ToDictionary(s => s.Sku, s => s.Available, StringComparer.Ordinal);
            foreach (var (sku, available) in chunk)
            {
                if (!stock.TryGetValue(sku, out var persisted) || persisted != available)
                {
                    throw new InvalidOperationException($"Benchmark drained wrongly: {sku} is {persisted} in SQL, {available} in the journal.");
                }
            }
        }
    }

    /// <summary>Workers take changes in journal order, one transaction each, until all are done or time is up.</summary>
    private static async Task<(int Changes, TimeSpan Elapsed)> RunNaiveAsync(
        SqlDatabase database, InMemoryJournal journal, int concurrency, TimeSpan limit, CancellationToken cancellationToken)
    {
        var entries = journal.History;
        await using (var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            foreach (var chunk in entries.Select(e => e.Sku).Distinct(StringComparer.Ordinal).Chunk(1000))
            {
                await connection.ExecuteAsync(database.Command(
                    database.Statements.Get(Statements.BenchSeedStock), new { skus = Strings(chunk) }, null, cancellationToken)).ConfigureAwait(false);
            }
        }

        var sql = database.Statements.Get(Statements.BenchNaiveApply);
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int index;
            while (clock.Elapsed < limit && (index = Interlocked.Increment(ref next)) < entries.Count)
            {
                var e = entries[index];
                await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await connection.ExecuteAsync(database.Command(sql, new
                {
                    sku = Ansi(e.Sku),
                    seq = e.Sequence,
                    journal_partition = e.Partition,
                    stream_id = Ansi(e.StreamId),
                    kind = Ansi(e.Kind),
                    reference_id = Ansi(e.ReferenceId),
                    delta = e.Delta,
                    available_after = e.AvailableAfter,
                    reason = e.Reason,
                    journal_ms = e.TimestampMs,
                }, transaction, cancellationToken)).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }, cancellationToken))).ConfigureAwait(false);
        var elapsed = clock.Elapsed;
        return (Math.Min(next, entries.Count), elapsed);
    }

    /// <summary>A schema (PostgreSQL) or database (SQL Server) of the benchmark's own, dropped afterwards.</summary>
    private sealed class ScratchDatabase : IAsyncDisposable
    {
        private readonly SqlOptions _target;

        private ScratchDatabase(SqlOptions target, string name, SqlDatabase database)
        {
            _target = target;
            Name = name;
            Database = database;
        }

        public string Name { get; }

        public SqlDatabase Database { get; }

        public static async Task<ScratchDatabase> CreateAsync(SqlOptions target, CancellationToken cancellationToken)
        {
            var name = "inventory_bench_" + Guid.NewGuid().ToString("N")[..10];
            string connectionString;
            if (target.Provider == SqlProvider.Postgres)
            {
                await using var admin = new NpgsqlConnection(target.ConnectionString);
                await admin.OpenAsync(cancellationToken).ConfigureAwait(false);
                await admin.ExecuteAsync($"CREATE SCHEMA {name}").ConfigureAwait(false);
                connectionString = new NpgsqlConnectionStringBuilder(target.ConnectionString) { SearchPath = name }.ConnectionString;
            }
            else
            {
                await using var admin = new SqlConnection(target.ConnectionString);
                await admin.OpenAsync(cancellationToken).ConfigureAwait(false);
                await admin.ExecuteAsync($"CREATE DATABASE [{name}]").ConfigureAwait(false);
                connectionString = new SqlConnectionStringBuilder(target.ConnectionString) { InitialCatalog = name }.ConnectionString;
            }

            var options = new SqlOptions { Provider = target.Provider, ConnectionString = connectionString, TaskShards = target.TaskShards };
            return new ScratchDatabase(target, name, new SqlDatabase(options));
        }

        public async ValueTask DisposeAsync()
        {
            await Database.DisposeAsync().ConfigureAwait(false);
            if (_target.Provider == SqlProvider.Postgres)
            {
                await using var admin = new NpgsqlConnection(_target.ConnectionString);
                await admin.OpenAsync().ConfigureAwait(false);
                await admin.ExecuteAsync($"DROP SCHEMA IF EXISTS {Name} CASCADE").ConfigureAwait(false);
            }
            else
            {
                SqlConnection.ClearAllPools();
                await using var admin = new SqlConnection(_target.ConnectionString);
                await admin.OpenAsync().ConfigureAwait(false);
                await admin.ExecuteAsync($"ALTER DATABASE [{Name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{Name}];").ConfigureAwait(false);
            }
        }
    }
}
