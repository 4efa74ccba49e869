using System.Net;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Engine;

/// <summary>HTTP → Redis → queue → SQL on real services, counted afterwards.</summary>
public class EngineEndToEndTests
{
    public static Dictionary<string, string> EngineSettings(TestDatabase database) => new()
    {
        ["Inventory__Sql__Provider"] = "postgres",
        ["Inventory__Sql__ConnectionString"] = database.ConnectionString,
        ["Inventory__Engine__SweepGrace"] = "00:00:02",
        ["Inventory__Engine__Lease"] = "00:00:05",
        ["Inventory__Workers__TaskDispatchInterval"] = "00:00:01",
        ["Inventory__Workers__StaleLeaseInterval"] = "00:00:02",
        ["Inventory__Workers__JournalSweepInterval"] = "00:00:02",
        ["Inventory__Wakeup__IntervalMilliseconds"] = "100",
    };

    [Fact]
    public async Task Thousands_of_mixed_changes_reach_sql_exactly_once()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, EngineSettings(database));
        await server.StartAsync();
        var skus = Enumerable.Range(0, 24).Select(i => $"e-{i}").ToList();
        foreach (var sku in skus)
        {
            await server.SetStockAsync(sku, 400);
        }

        using var client = server.CreateClient();
        using var admin = server.CreateClient(ServerProcess.AdminKey);
        var random = new Random(11);
        var accepted = new System.Collections.Concurrent.ConcurrentBag<string>();
        var work = Enumerable.Range(0, 3000).Select(i => (Kind: random.Next(20), A: skus[random.Next(3)], B: skus[random.Next(skus.Count)], I: i)).ToList();
        await Task.WhenAll(work.Select(w => Task.Run(async () =>
        {
            switch (w.Kind)
            {
                case 0:
                    await admin.PostAsync($"api/stock/{w.B}/adjustments", HttpCalls.Json(new { adjustmentId = $"adj-{w.I}", delta = 5, reason = "restock" }));
                    break;
                case 1:
                    await admin.PutAsync($"api/stock/{w.B}", HttpCalls.Json(new { available = 300 }));
                    break;
                default:
                    var lines = w.Kind < 12 ? new[] { (w.A, 1L) } : new[] { (w.A, 1L), (w.B, 2L) };
                    using (var response = await client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order($"e{w.I}", lines))))
                    {
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            accepted.Add($"e{w.I}");
                            if (w.Kind == 19)
                            {
                                await client.PostAsync($"api/deductions/e{w.I}/cancel", HttpCalls.Json(new { }));
                            }
                        }
                    }

                    break;
            }
        })));

        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        var differences = await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(differences);
        Assert.Equal(skus.Count, (await checker.RedisAsync()).Count);
        var ledgerRows = (await database.QueryAsync("select count(*) from ledger", r => r.GetInt64(0))).Single();
        Assert.Equal((await checker.RedisAsync()).Values.Sum(s => s.Sequence), ledgerRows);
        Assert.True(ledgerRows > accepted.Count, $"only {ledgerRows} ledger rows");
        Assert.True(accepted.Count > 500, $"only {accepted.Count} orders were accepted");

        var persisted = (await database.QueryAsync("select distinct reference_id from ledger where kind = 'deduct'", r => r.GetString(0))).ToHashSet();
        Assert.All(accepted, id => Assert.Contains(id, persisted));
        var dead = await database.QueryAsync("select count(*) from (" + string.Join(" union all ", Enumerable.Range(0, 16).Select(s => $"select id from task_{s:00} where status = 'dead'")) + ") d", r => r.GetInt64(0));
        Assert.Equal(0, dead.Single());

        var sample = accepted.First();
        var view = await client.GetJsonAsync($"api/deductions/{sample}");
        Assert.True(view.Body!["persisted"]!.GetValue<bool>());
        var stats = await client.GetJsonAsync("api/tasks/stats");
        Assert.Equal(HttpStatusCode.OK, stats.Status);
        // Health gives each dependency under a second; right after a burst a busy Azurite can miss that once.
        var health = await client.GetJsonAsync("api/health");
        for (var attempt = 0; health.Body!["status"]!.GetValue<string>() != "healthy" && attempt < 40; attempt++)
        {
            await Task.Delay(250);
            health = await client.GetJsonAsync("api/health");
        }

        Assert.True(health.Body!["status"]!.GetValue<string>() == "healthy", health.Body.ToJsonString());
        Assert.Equal(["queue", "redis", "sql"], health.Body["dependencies"]!.AsArray().Select(d => d!["name"]!.GetValue<string>()).Order());
    }
}
