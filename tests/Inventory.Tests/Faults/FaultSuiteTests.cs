using System.Diagnostics;
using Inventory.LoadDriver;
using Inventory.Tests.Engine;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Inventory.Tests.Faults;

/// <summary>
/// The short fault suite: checkout clients retrying with the same ids against the plain server (task engine on)
/// while the server is killed three times, the network to Redis stalls, drops and slows, and Redis is paused.
/// Afterwards the checker must count zero oversold, doubled, lost and phantom, SQL = Redis, and no dead task.
/// Redis, PostgreSQL and Azurite restarts belong to the long run: scripts/fault-suite.sh.
/// </summary>
public class FaultSuiteTests(ITestOutputHelper output)
{
    private static readonly TimeSpan LoadDuration = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Server_kills_proxy_faults_and_client_pause_lose_double_and_oversell_nothing()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var proxy = FaultProxy.Start(0, TestEnvironment.Redis);
        var prefix = TestEnvironment.UniquePrefix("fs");
        var settings = EngineEndToEndTests.EngineSettings(database);
        // Abandoned multi-partition orders (a kill between slots) are rolled back within the run, not after 30 s.
        settings["Inventory__Redis__RecoverAfter"] = "00:00:05";
        settings["Inventory__Workers__OrderRecoveryInterval"] = "00:00:01";
        await using var server = new ServerProcess($"127.0.0.1:{proxy.Port}", prefix, settings);
        await server.StartAsync();

        var directory = Path.Combine(TestEnvironment.RepoRoot, ".local", "fault-suite", prefix);
        Directory.CreateDirectory(directory);
        var faultLog = Path.Combine(directory, "faults.jsonl");
        var load = new LoadOptions
        {
            BaseUrl = server.BaseAddress,
            FunctionKey = ServerProcess.FunctionKey,
            AdminKey = ServerProcess.AdminKey,
            Output = Path.Combine(directory, "records.jsonl"),
            Duration = LoadDuration,
            Clients = 12,
            Seed = 20251125,
            RunId = prefix,
            RequestTimeout = TimeSpan.FromSeconds(8),
            GiveUpAfter = TimeSpan.FromSeconds(40),
        };
        var loadTask = new LoadRunner(load, Log).RunAsync();
        var clock = Stopwatch.StartNew();

        async Task InjectAsync(double atSeconds, string fault, Func<Task> inject)
        {
            var wait = TimeSpan.FromSeconds(atSeconds) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var started = JsonLines.NowMs();
            await inject();
            var record = new FaultRecord(started, fault, JsonLines.NowMs() - started);
            JsonLines.Append(faultLog, record);
            Log($"fault: {fault} ({record.DurationMs} ms)");
        }

        async Task KillAndRestartAsync()
        {
            server.Kill();
            await server.StartAsync();
        }

        await InjectAsync(4, "kill -9 server", KillAndRestartAsync);
        await InjectAsync(10, "proxy stall 3 s", async () =>
        {
            proxy.Stall();
            await Task.Delay(TimeSpan.FromSeconds(3));
            proxy.Resume();
        });
        await InjectAsync(16, "proxy drop + refuse 1.5 s", async () =>
        {
            proxy.Refuse(true);
            proxy.DropAll();
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            proxy.Resume();
        });
        await InjectAsync(21, "kill -9 server mid multi-slot order", async () =>
        {
            // Every Redis round trip slowed: multi-partition orders (k + 2 round trips) are caught between slots.
            proxy.Delay = TimeSpan.FromMilliseconds(400);
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            server.Kill();
            proxy.Resume();
            await server.StartAsync();
        });
        await InjectAsync(29, "CLIENT PAUSE 3 s", ClientPauseAsync);
        await InjectAsync(35, "proxy delay 250 ms for 3 s", async () =>
        {
            proxy.Delay = TimeSpan.FromMilliseconds(250);
            await Task.Delay(TimeSpan.FromSeconds(3));
            proxy.Resume();
        });
        await InjectAsync(40, "kill -9 server", KillAndRestartAsync);

        var summary = await loadTask;
        var report = await CheckRun.RunAsync(new CheckOptions
        {
            Records = load.Output,
            Faults = faultLog,
            Redis = TestEnvironment.Redis,
            KeyPrefix = prefix,
            Sql = database.ConnectionString,
            DrainTimeout = TimeSpan.FromSeconds(60),
        }, Log);
        output.WriteLine("");
        output.WriteLine(report.Table());
        output.WriteLine($"records and faults: {directory}");

        Assert.True(summary.Accepted > 300, $"only {summary.Accepted} orders were accepted: {summary}");
        Assert.True(summary.Retried.Count > 0, "no request was retried: the faults did not reach the clients");
        Assert.Equal(0, report.Oversold);
        Assert.Equal(0, report.Doubled + report.DoubledCancels + report.DoubledAdjustments);
        Assert.Equal(0, report.Lost + report.LostCancels + report.LostAdjustments);
        Assert.Equal(0, report.Phantom);
        Assert.Equal(0, report.SqlRedisMismatches + report.LedgerBreaks + report.OutsideClientBounds);
        Assert.Equal(0, report.DeadTasks);
        Assert.NotNull(report.DrainedAfter);
        Directory.Delete(directory, recursive: true);
    }

    private static async Task ClientPauseAsync()
    {
        var config = ConfigurationOptions.Parse(TestEnvironment.Redis);
        config.AllowAdmin = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(config);
        await redis.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", 3000, "ALL");
        await Task.Delay(TimeSpan.FromSeconds(3));
    }

    private void Log(string line) => output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
}
