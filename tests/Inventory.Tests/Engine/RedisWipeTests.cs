using System.Diagnostics;
using System.Net;
using Inventory.Domain;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Engine;

/// <summary>
/// The node restarts empty (no persistence) under a running server with SQL behind it: health answers at once
/// throughout, the partitions are rebuilt in the background, and afterwards orders deducted before the wipe replay
/// and cancel exactly as before, although their claims were not restored eagerly (the refilled seen filter sends
/// them to SQL). On a private redis-server: the shared one is never wiped.
/// </summary>
public class RedisWipeTests
{
    [Fact]
    public async Task After_an_empty_restart_health_answers_throughout_and_old_orders_replay_and_cancel_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = await PrivateRedis.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",abortConnect=false");
        var prefix = TestEnvironment.UniquePrefix("wipe");
        var settings = EngineEndToEndTests.EngineSettings(database);
        await using var server = new ServerProcess(redis.Configuration, prefix, settings);
        await server.StartAsync();
        var skus = Enumerable.Range(0, 8).Select(i => $"w-{i}").ToList();
        foreach (var sku in skus)
        {
            await server.SetStockAsync(sku, 200);
        }

        using var client = server.CreateClient();
        var originals = new Dictionary<string, string>();
        for (var i = 0; i < 120; i++)
        {
            var answer = await client.PostAsync("api/deductions", HttpCalls.Order($"wipe{i}", (skus[i % 8], 1)));
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            originals[$"wipe{i}"] = answer.Body!.ToJsonString();
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions/wipe5/cancel", new { })).Status);
        var checker = new PersistenceChecker(connection, prefix, 16, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));
        var before = await checker.RedisAsync();

        using var watch = new HealthWatch(server.CreateClient(null));
        await redis.RestartEmptyAsync();

        // Sales reopen once every partition is rebuilt; health said so all along.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && (await client.GetJsonAsync("api/health")).Body?["status"]?.GetValue<string>() != "healthy")
        {
            await Task.Delay(100);
        }

        var (answered, slowest, failures, statuses) = await watch.StopAsync();
        Assert.True(failures == 0 && slowest < TimeSpan.FromSeconds(1), $"health: {failures} failures, slowest {slowest.TotalMilliseconds:0} ms");
        Assert.True(answered > 0);
        Assert.Contains("unhealthy", statuses);
        Assert.Equal(before, await checker.RedisAsync());

        // A replay of an order deducted before the wipe: the original answer, nothing deducted again.
        var replay = await client.PostAsync("api/deductions", HttpCalls.Order("wipe3", (skus[3], 1)));
        Assert.True(replay.Status == HttpStatusCode.OK, replay.Body?.ToJsonString());
        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(originals["wipe3"], replay.Body!.ToJsonString());

        // A cancel of one restocks once; a cancel repeated, and one of an order cancelled before the wipe, restock nothing.
        var sku7 = skus[7];
        var stock7 = await client.AvailableAsync(sku7);
        var cancel = await client.PostAsync("api/deductions/wipe7/cancel", new { });
        Assert.True(cancel.Status == HttpStatusCode.OK, cancel.Body?.ToJsonString());
        Assert.Equal(stock7 + 1, await client.AvailableAsync(sku7));
        var again = await client.PostAsync("api/deductions/wipe7/cancel", new { });
        Assert.Equal("true", again.Response.Headers.GetValues("Idempotent-Replayed").Single());
        var old = await client.PostAsync("api/deductions/wipe5/cancel", new { });
        Assert.Equal(HttpStatusCode.OK, old.Status);
        Assert.Equal(stock7 + 1, await client.AvailableAsync(sku7));
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("api/deductions", HttpCalls.Order("wipe5", (skus[5], 1)))).Status);

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order("after-wipe", (skus[0], 1)))).Status);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60), ledgerSumsToStock: true));
    }

    /// <summary>Polls GET /api/health every 100 ms with a 1 s timeout; counts answers, failures and the slowest.</summary>
    private sealed class HealthWatch : IDisposable
    {
        private readonly HttpClient _client;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<(int, TimeSpan, int, HashSet<string>)> _run;

        public HealthWatch(HttpClient client)
        {
            _client = client;
            _client.Timeout = TimeSpan.FromSeconds(1);
            _run = RunAsync();
        }

        private async Task<(int, TimeSpan, int, HashSet<string>)> RunAsync()
        {
            var (answered, failures, slowest, statuses) = (0, 0, TimeSpan.Zero, new HashSet<string>());
            while (!_stop.IsCancellationRequested)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    var (_, body) = await _client.GetJsonAsync("api/health");
                    answered++;
                    statuses.Add(body?["status"]?.GetValue<string>() ?? "?");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    failures++;
                }

                slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
                await Task.Delay(100);
            }

            return (answered, slowest, failures, statuses);
        }

        public async Task<(int Answered, TimeSpan Slowest, int Failures, HashSet<string> Statuses)> StopAsync()
        {
            await _stop.CancelAsync();
            return await _run;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _client.Dispose();
            _stop.Dispose();
        }
    }
}
