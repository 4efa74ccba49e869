using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Inventory.LoadDriver;
using Inventory.Tests.Infrastructure;
using Npgsql;

namespace Inventory.Tests.Http;

/// <summary>
/// The real server (Development mode, as ./run starts it) with Redis, PostgreSQL and the storage queue each behind a
/// fault proxy of the test's own, so a dependency can be taken away without touching the shared services. Each is
/// taken away in turn, refused and then hung: health answers within 2 s with the documented state, and no route
/// answers 500 or a stack trace.
/// </summary>
public sealed class DependencyOutageTests
{
    private static readonly TimeSpan HealthBound = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Health_answers_in_bounded_time_and_no_route_answers_500_with_each_dependency_down()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        await using var redisProxy = FaultProxy.Start(0, TestEnvironment.Redis.Split(',')[0]);
        var postgres = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        await using var sqlProxy = FaultProxy.Start(0, $"{postgres.Host}:{postgres.Port}");
        await using var queueProxy = FaultProxy.Start(0, QueueEndpoint());
        postgres.Host = "127.0.0.1";
        postgres.Port = sqlProxy.Port;
        // An operator would bound these too; Npgsql's defaults (15 s connect, 30 s command) would make each SQL route
        // of the sweep below wait that long through a hung proxy (a wait, not a 500, but a slow test).
        postgres.Timeout = 3;
        postgres.CommandTimeout = 5;

        await using var server = new ServerProcess($"127.0.0.1:{redisProxy.Port}", redis.Options.KeyPrefix, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Inventory__Sql__Provider"] = "postgres",
            ["Inventory__Sql__ConnectionString"] = postgres.ConnectionString,
            ["AzureWebJobsStorage"] = DevelopmentStorageThrough(queueProxy.Port),
        });
        await server.StartAsync();
        await server.SetStockAsync("out-a", 100);
        using var client = server.CreateClient();
        using var admin = server.CreateClient(ServerProcess.AdminKey);
        var (deducted, _, _) = await client.PostAsync("api/deductions", HttpCalls.Order("out-1", ("out-a", 1)));
        Assert.Equal(HttpStatusCode.OK, deducted);

        var outages = new (string Name, FaultProxy Proxy, HttpStatusCode Health, string Status)[]
        {
            ("queue", queueProxy, HttpStatusCode.OK, "degraded"),
            ("sql", sqlProxy, HttpStatusCode.OK, "degraded"),
            ("redis", redisProxy, HttpStatusCode.ServiceUnavailable, "unhealthy"),
        };
        var order = 2;
        foreach (var (name, proxy, expectedCode, expectedStatus) in outages)
        {
            foreach (var hung in new[] { false, true })
            {
                var how = hung ? "hung" : "refused";
                if (hung)
                {
                    proxy.Stall();
                }
                else
                {
                    proxy.Refuse(true);
                    proxy.DropAll();
                }

                var (code, health, elapsed) = await HealthAsync(client);
                Assert.True(elapsed < HealthBound, $"{name} {how}: GET /api/health took {elapsed.TotalMilliseconds:0} ms");
                Assert.True(code == expectedCode && health["status"]!.GetValue<string>() == expectedStatus,
                    $"{name} {how}: GET /api/health answered {(int)code} {health.ToJsonString()}");
                var dependency = health["dependencies"]!.AsArray().Single(d => d!["name"]!.GetValue<string>() == name)!;
                Assert.False(dependency["healthy"]!.GetValue<bool>(), $"{name} {how}: {health.ToJsonString()}");

                await EveryRouteAnswersWithoutA500Async(client, admin, $"{name} {how}", $"out-{order++}");
                if (name == "sql")
                {
                    // Redis holds the order: it is read from there, with "persisted" unknown rather than a 503.
                    var (read, body) = await client.GetJsonAsync("api/deductions/out-1");
                    Assert.True(read == HttpStatusCode.OK, $"sql {how}: GET /api/deductions/out-1 answered {(int)read} {body?.ToJsonString()}");
                    Assert.Equal("deducted", body!["status"]!.GetValue<string>());
                    Assert.Null(body["persisted"]);
                }

                proxy.Resume();
                await WaitForHealthyAsync(client, $"{name} back after {how}");
            }
        }

        // With everything back, SQL has the order again and says so.
        await WaitForAsync(async () => (await client.GetJsonAsync("api/deductions/out-1")).Body?["persisted"]?.GetValue<bool>() == true, "out-1 persisted");
    }

    [Fact]
    public async Task Durable_acknowledgements_on_a_redis_without_replicas_refuse_to_start_with_the_reason()
    {
        await using var redis = RedisTarget.Create("standalone");
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix,
            new Dictionary<string, string> { ["Inventory__Redis__DurableAcknowledgements"] = "true" });
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());
        Assert.Contains("DurableAcknowledgements is true", refused.Message);
        Assert.Contains("has no connected replica", refused.Message);
    }

    /// <summary>Every route once; a 5xx must be a 503 with a JSON body (problem+json with a traceId, or an unknown outcome).</summary>
    private static async Task EveryRouteAnswersWithoutA500Async(HttpClient client, HttpClient admin, string when, string orderId)
    {
        var calls = new (HttpClient Client, HttpMethod Method, string Path, object? Body)[]
        {
            (client, HttpMethod.Post, "api/deductions", HttpCalls.Order(orderId, ("out-a", 1))),
            (client, HttpMethod.Post, "api/deductions/batch", new { deductions = new[] { HttpCalls.Order(orderId + "b", ("out-a", 1)) } }),
            (client, HttpMethod.Get, "api/deductions/out-1", null),
            (client, HttpMethod.Post, $"api/deductions/{orderId}/cancel", null),
            (client, HttpMethod.Get, "api/stock/out-a", null),
            (client, HttpMethod.Get, "api/stock?skus=out-a,out-b", null),
            (admin, HttpMethod.Put, "api/stock/out-c", new { available = 5 }),
            (admin, HttpMethod.Post, "api/stock/out-a/adjustments", new { adjustmentId = orderId, delta = 1 }),
            (client, HttpMethod.Get, "api/tasks/stats", null),
            (admin, HttpMethod.Get, "api/tasks/dead", null),
            (admin, HttpMethod.Post, "api/tasks/1/retry", null),
            (admin, HttpMethod.Post, "api/tasks/poison/redrive", null),
            (client, HttpMethod.Get, "api/reconciliation", null),
        };
        foreach (var (http, method, path, body) in calls)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : HttpCalls.Json(body) };
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var what = $"{when}: {method} {path} answered {(int)response.StatusCode} {response.Content.Headers.ContentType} {text}";
            Assert.True((int)response.StatusCode < 500 || response.StatusCode == HttpStatusCode.ServiceUnavailable, what);
            Assert.DoesNotContain("   at ", text);
            if (text.Length > 0)
            {
                Assert.True(response.Content.Headers.ContentType?.MediaType is "application/json" or "application/problem+json", what);
            }

            if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
            {
                Assert.True(JsonNode.Parse(text)?["traceId"] is not null, what);
            }
        }
    }

    private static async Task<(HttpStatusCode Code, JsonNode Body, TimeSpan Elapsed)> HealthAsync(HttpClient client)
    {
        var watch = Stopwatch.StartNew();
        var (code, body) = await client.GetJsonAsync("api/health");
        return (code, body!, watch.Elapsed);
    }

    private static Task WaitForHealthyAsync(HttpClient client, string what) =>
        WaitForAsync(async () => (await client.GetJsonAsync("api/health")).Body?["status"]?.GetValue<string>() == "healthy", what);

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>host:port of the queue service of the test storage account (Azurite unless INVENTORY_TEST_STORAGE says otherwise).</summary>
    private static string QueueEndpoint()
    {
        var endpoint = TestEnvironment.Storage.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0].Equals("QueueEndpoint", StringComparison.OrdinalIgnoreCase))?[1];
        var uri = new Uri(endpoint ?? "http://127.0.0.1:10001");
        return $"{uri.Host}:{uri.Port}";
    }

    /// <summary>The Azurite account (its published development key), its queue service reached through the proxy.</summary>
    private static string DevelopmentStorageThrough(int port) =>
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
}
