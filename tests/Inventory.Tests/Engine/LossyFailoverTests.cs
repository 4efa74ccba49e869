using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Inventory.Tests.Infrastructure;
using Inventory.Tests.Redis;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Inventory.Tests.Engine;

/// <summary>
/// A lossy failover: the primary is killed (-9) under load and its replica takes over without it
/// (CLUSTER FAILOVER TAKEOVER). With durable acknowledgements no sale a client saw accepted may be lost.
/// </summary>
public class LossyFailoverTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_durable_acknowledgements_a_lossy_failover_loses_no_acknowledged_sale()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("cluster");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__DurableAcknowledgements"] = "true";
        await using var server = new ServerProcess(TestEnvironment.RedisCluster, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        const string sku = "lossy-fo";
        await server.SetStockAsync(sku, 100_000);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisCluster + ",allowAdmin=true");
        var primary = redis.ServerOf(redis.Partitioner.PartitionOf(sku));
        var replica = FailoverTests.ReplicaOf(admin, primary);

        using var client = server.CreateClient();
        client.Timeout = TimeSpan.FromSeconds(10);
        var accepted = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var next = 0;
        var load = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var id = $"lf-{Interlocked.Increment(ref next)}";
                try
                {
                    using var response = await client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order(id, (sku, 1))));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        accepted.Add(id);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // No answer is not an acknowledgement; only 200s are counted.
                }
            }
        })).ToList();

        await Task.Delay(1500);
        var port = primary[(primary.LastIndexOf(':') + 1)..];
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(TestEnvironment.RepoRoot, ".local", "run", $"redis-{port}.pid")), CultureInfo.InvariantCulture);
        Process.GetProcessById(pid).Kill();
        await admin.GetServer(replica).ExecuteAsync("CLUSTER", "FAILOVER", "TAKEOVER");
        await Task.Delay(4000);
        await stop.CancelAsync();
        await Task.WhenAll(load);
        await Services("start", "cluster");

        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        var differences = await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60));
        var ledger = (await database.QueryAsync("select reference_id from ledger where kind = 'deduct' and sku = 'lossy-fo'", r => r.GetString(0))).ToHashSet();
        var lost = accepted.Where(id => !ledger.Contains(id)).ToList();
        output.WriteLine($"{accepted.Count} acknowledged, {lost.Count} missing from SQL after the lossy failover");

        Assert.Empty(differences);
        Assert.True(accepted.Count > 50, $"only {accepted.Count} sales were acknowledged");
        Assert.Empty(lost);
        // Sales whose answer never came may or may not stand; the ledger says which, and the stock agrees with it.
        var net = (await database.QueryAsync("select coalesce(sum(delta), 0) from ledger where sku = 'lossy-fo' and kind in ('deduct', 'void', 'cancel')", r => r.GetDecimal(0))).Single();
        Assert.Equal(100_000 + (long)net, await client.AvailableAsync(sku));
    }

    private static async Task Services(string verb, string service)
    {
        var info = new ProcessStartInfo(Path.Combine(TestEnvironment.RepoRoot, "scripts", "services.sh"), [verb, service]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"services.sh {verb} {service} failed: {await process.StandardError.ReadToEndAsync()}");
    }
}
