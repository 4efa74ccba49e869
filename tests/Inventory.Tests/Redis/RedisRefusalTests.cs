using System.Net;
using System.Text.Json.Nodes;
using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Redis;

/// <summary>
/// A Redis that refuses (maxmemory reached with noeviction) answers at once, and definitely: the requests it refused
/// changed nothing, so they are answered "not deducted" with the cause and Retry-After, never "unknown"; health
/// says why. On a private redis-server: the shared one must never be filled up.
/// </summary>
public class RedisRefusalTests
{
    [Theory]
    [InlineData("OOM command not allowed when used memory > 'maxmemory'.", "redis_oom")]
    [InlineData("OOM command not allowed when used memory > 'maxmemory'. script: 1c2d, on @user_script:12.", "redis_oom")]
    [InlineData("READONLY You can't write against a read only replica.", "redis_readonly")]
    [InlineData("LOADING Redis is loading the dataset in memory", "redis_loading")]
    [InlineData("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.", "redis_misconf")]
    [InlineData("NOSCRIPT No matching script. Please use EVAL.", "redis_noscript")]
    public void Definite_refusals_are_recognised_by_their_error_code(string message, string cause)
    {
        Assert.Equal(cause, RedisFailures.RefusalOf(new RedisServerException(RedisErrorKind.Unknown, CommandFlags.None, message))!.Cause);
    }

    [Theory]
    [InlineData("ERR Error running script (call to f_1c2d): @user_script:3: user_script:3: attempt to compare nil with number")]
    [InlineData("WRONGTYPE Operation against a key holding the wrong kind of value")]
    public void Other_server_errors_are_not_refusals(string message)
    {
        Assert.Null(RedisFailures.RefusalOf(new RedisServerException(RedisErrorKind.Unknown, CommandFlags.None, message)));
        Assert.Null(RedisFailures.RefusalOf(new RedisTimeoutException(CommandFlags.None, "timeout", CommandStatus.Sent)));
    }

    [Fact]
    public async Task A_full_redis_refuses_with_named_causes_deducts_nothing_and_the_same_ids_deduct_once_after()
    {
        await using var redis = await PrivateRedis.StartAsync();
        using var admin = redis.ConnectAdmin();
        var node = admin.GetServer(redis.Configuration);
        var prefix = TestEnvironment.UniquePrefix("oom");
        await using var server = new ServerProcess(redis.Configuration, prefix, new Dictionary<string, string>
        {
            ["Inventory__Redis__Health__MemoryDegradedRatio"] = "0.5",
            ["Inventory__Redis__Health__RefusalWindow"] = "00:00:02",
        });
        await server.StartAsync();
        var partitioner = new Partitioner(16);
        var (skuA, skuB) = TwoPartitions(partitioner);
        await server.SetStockAsync(skuA, 100);
        await server.SetStockAsync(skuB, 100);
        using var client = server.CreateClient();
        using var adminClient = server.CreateClient(ServerProcess.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order("before", (skuA, 1)))).Status);

        // Close to full: degraded, still selling.
        var used = UsedMemory(node);
        await node.ConfigSetAsync("maxmemory", (used * 3 / 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var degraded = await WaitForHealthAsync(client, "degraded");
        Assert.True(degraded["dependencies"]!.AsArray().Single(d => (string)d!["name"]! == "redis")!["data"]!["nodes"]![0]!["maxBytes"]!.GetValue<long>() > 0);

        // Full: every write is refused outright.
        await node.ConfigSetAsync("maxmemory", "1");
        var single = await client.PostAsync("api/deductions", HttpCalls.Order("during", (skuA, 1)));
        AssertRefused(single.Status, single.Body, single.Response, "redis_oom");
        Assert.Equal("not_deducted", (string)single.Body!["outcome"]!);
        var multi = await client.PostAsync("api/deductions", HttpCalls.Order("during-multi", (skuA, 1), (skuB, 1)));
        AssertRefused(multi.Status, multi.Body, multi.Response, "redis_oom");
        var cancel = await client.PostAsync("api/deductions/before/cancel", new { });
        AssertRefused(cancel.Status, cancel.Body, cancel.Response, "redis_oom");
        var set = await adminClient.PutAsync($"api/stock/{skuA}", HttpCalls.Json(new { available = 5 }));
        AssertRefused(set.StatusCode, JsonNode.Parse(await set.Content.ReadAsStringAsync()), set, "redis_oom");
        var adjust = await adminClient.PostAsync($"api/stock/{skuA}/adjustments", HttpCalls.Json(new { adjustmentId = "adj-1", delta = 5 }));
        AssertRefused(adjust.StatusCode, JsonNode.Parse(await adjust.Content.ReadAsStringAsync()), adjust, "redis_oom");
        var health = await client.GetJsonAsync("api/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
        Assert.Equal("unhealthy", (string)health.Body!["status"]!);
        Assert.Contains("OOM", (string)health.Body["dependencies"]!.AsArray().Single(d => (string)d!["name"]! == "redis")!["detail"]!, StringComparison.Ordinal);

        // Reads go on, and show nothing moved.
        Assert.Equal(99, await client.AvailableAsync(skuA));
        Assert.Equal(100, await client.AvailableAsync(skuB));

        // Memory back: the same ids deduct, once.
        await node.ConfigSetAsync("maxmemory", "0");
        await WaitForHealthAsync(client, "healthy");
        foreach (var id in new[] { "during", "during-multi" })
        {
            var lines = id == "during" ? new[] { (skuA, 1L) } : [(skuA, 1L), (skuB, 1L)];
            var first = await client.PostAsync("api/deductions", HttpCalls.Order(id, lines));
            Assert.Equal(HttpStatusCode.OK, first.Status);
            Assert.False(first.Response.Headers.Contains("Idempotent-Replayed"));
            var again = await client.PostAsync("api/deductions", HttpCalls.Order(id, lines));
            Assert.Equal("true", again.Response.Headers.GetValues("Idempotent-Replayed").Single());
        }

        Assert.Equal(97, await client.AvailableAsync(skuA));
        Assert.Equal(99, await client.AvailableAsync(skuB));
    }

    private static void AssertRefused(HttpStatusCode status, JsonNode? body, HttpResponseMessage response, string cause)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(cause, (string)body!["cause"]!);
        Assert.Contains("OOM", (string)body["detail"]!, StringComparison.Ordinal);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After is missing");
    }

    private static long UsedMemory(IServer node)
    {
        var memory = node.Info("memory").SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        return long.Parse(memory["used_memory"], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<JsonNode> WaitForHealthAsync(HttpClient client, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = (await client.GetJsonAsync("api/health")).Body;
            if ((string?)last?["status"] == status)
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"health never said {status}: {last?.ToJsonString()}");
    }

    private static (string, string) TwoPartitions(Partitioner partitioner)
    {
        var a = "oom-a";
        var b = Enumerable.Range(0, 100).Select(i => $"oom-b{i}").First(s => partitioner.PartitionOf(s) != partitioner.PartitionOf(a));
        return (a, b);
    }
}
