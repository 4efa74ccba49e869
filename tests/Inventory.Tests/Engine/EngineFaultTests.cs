using System.Diagnostics;
using System.Net;
using Azure.Storage.Queues;
using Inventory.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Inventory.Tests.Engine;

/// <summary>Kill the worker, lose the messages, stop the database: afterwards SQL still equals Redis, nothing dead.</summary>
public class EngineFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Killing_the_server_repeatedly_while_it_persists_loses_and_doubles_nothing()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, EngineEndToEndTests.EngineSettings(database));
        await server.StartAsync();
        var skus = Enumerable.Range(0, 12).Select(i => $"k-{i}").ToList();
        foreach (var sku in skus)
        {
            await server.SetStockAsync(sku, 100_000);
        }

        using var load = new CancellationTokenSource();
        var sent = 0;
        var loadTask = Task.WhenAll(Enumerable.Range(0, 16).Select(worker => Task.Run(async () =>
        {
            using var client = server.CreateClient();
            client.Timeout = TimeSpan.FromSeconds(5);
            while (!load.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref sent);
                try
                {
                    using var _ = await client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order($"k{i}", (skus[i % skus.Count], 1), (skus[(i * 7) % skus.Count], 1))));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    await Task.Delay(50);
                }
            }
        })));

        for (var kill = 1; kill <= 4; kill++)
        {
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            var (leased, backlog) = await EngineStateAsync(database);
            output.WriteLine($"kill -9 #{kill}: {leased} leases held, {backlog} tasks pending or running, {sent} orders sent");
            server.Kill();
            await server.StartAsync();
        }

        await load.CancelAsync();
        await loadTask;
        var watch = Stopwatch.StartNew();
        var differences = await new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database).WaitUntilEqualAsync(RecoveryBound);
        output.WriteLine($"SQL equal to Redis {watch.Elapsed.TotalSeconds:0.0} s after the load stopped");

        Assert.Empty(differences);
        Assert.Equal(0, await DeadTasksAsync(database));
    }

    [Fact]
    public async Task Wakeups_deleted_by_hand_are_recovered_by_the_journal_sweep()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync(new Dictionary<string, string> { ["Inventory__Workers__Engine"] = "false" });
        await server.SetStockAsync("lost-a", 100);
        await server.SetStockAsync("lost-b", 100);
        using (var client = server.CreateClient())
        {
            await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order($"lost{i}", (i % 2 == 0 ? "lost-a" : "lost-b", 1))))));
        }

        await Task.Delay(500);
        server.Kill();
        var queue = new QueueClient(TestEnvironment.Storage, "inventory-tasks");
        await queue.ClearMessagesAsync();

        await server.StartAsync();
        var differences = await new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database).WaitUntilEqualAsync(RecoveryBound);

        Assert.Empty(differences);
        Assert.Equal(50, (await database.QueryAsync("select count(*) from ledger where kind = 'deduct'", r => r.GetInt64(0))).Single());
    }

    [Fact]
    public async Task PostgreSQL_stopped_and_restarted_loses_nothing_and_kills_no_task()
    {
        var downtime = TestEnvironment.LongRuns ? TimeSpan.FromMinutes(1) : TimeSpan.FromSeconds(15);
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, EngineEndToEndTests.EngineSettings(database));
        await server.StartAsync();
        await server.SetStockAsync("pg-a", 1000);
        using var client = server.CreateClient();

        await Services("stop", "postgres");
        try
        {
            // Sales go on while SQL is away: Redis decides, SQL catches up later.
            var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order($"pg{i}", ("pg-a", 1))))));
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
            await Task.Delay(downtime);
        }
        finally
        {
            await Services("start", "postgres");
        }

        var differences = await new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database).WaitUntilEqualAsync(RecoveryBound);

        Assert.Empty(differences);
        Assert.Equal(0, await DeadTasksAsync(database));
    }

    private static async Task<(long Leased, long Backlog)> EngineStateAsync(TestDatabase database)
    {
        try
        {
            var union = string.Join(" union all ", Enumerable.Range(0, 16).Select(s => $"select status, lease_expires_at from task_{s:00}"));
            var rows = await database.QueryAsync($"select count(*) filter (where status = 'running' and lease_expires_at > now()), count(*) filter (where status in ('pending','running','waiting')) from ({union}) t",
                r => (r.GetInt64(0), r.GetInt64(1)));
            return rows.Single();
        }
        catch (Npgsql.PostgresException)
        {
            return (0, 0);
        }
    }

    private static async Task<long> DeadTasksAsync(TestDatabase database) =>
        (await database.QueryAsync("select count(*) from (" + string.Join(" union all ", Enumerable.Range(0, 16).Select(s => $"select id from task_{s:00} where status = 'dead'")) + ") d", r => r.GetInt64(0))).Single();

    private static async Task Services(string verb, string service)
    {
        var info = new ProcessStartInfo(Path.Combine(TestEnvironment.RepoRoot, "scripts", "services.sh"), [verb, service]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"services.sh {verb} {service} failed: {await process.StandardError.ReadToEndAsync()}");
    }
}
