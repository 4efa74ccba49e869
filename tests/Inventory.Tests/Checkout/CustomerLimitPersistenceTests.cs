using System.Net;
using Inventory.Tests.Engine;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Checkout;

/// <summary>
/// Per-customer limits reach SQL (customer ids on the ledger rows, limits beside stock) and survive Redis losing
/// everything: after an empty restart the rebuild puts limits and each customer's units back from SQL, so limits
/// hold exactly as before, and old orders replay, refuse another customer, and give the allowance back on cancel.
/// On a private redis-server: the shared one is never wiped.
/// </summary>
public sealed class CustomerLimitPersistenceTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Limits_and_customer_units_reach_sql_and_come_back_after_redis_restarts_empty()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = await PrivateRedis.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",abortConnect=false");
        var prefix = TestEnvironment.UniquePrefix("lim");
        await using var server = new ServerProcess(redis.Configuration, prefix, EngineEndToEndTests.EngineSettings(database));
        await server.StartAsync();
        var (a, b) = ReturnTests.TwoPartitions("lp");
        var c = $"{a}-c";
        using var admin = server.CreateClient(ServerProcess.AdminKey);
        await PutAsync(admin, a, new { available = 50, limitPerCustomer = 2 });
        await PutAsync(admin, b, new { available = 50, limitPerCustomer = 3 });
        await PutAsync(admin, b, new { available = 50 });
        await PutAsync(admin, c, new { available = 50, limitPerCustomer = 5 });

        using var client = server.CreateClient();
        string Id(string name) => $"{prefix}-{name}";
        var (c1, c2) = (Id("c1"), Id("c2"));
        var o1 = await DeductAsync(client, Id("o1"), c1, (a, 2));
        Assert.Equal(HttpStatusCode.OK, o1.Status);
        Assert.Equal(HttpStatusCode.Conflict, (await DeductAsync(client, Id("o2"), c1, (a, 1))).Status);
        Assert.Equal(HttpStatusCode.OK, (await DeductAsync(client, Id("o3"), c2, (a, 1), (b, 3))).Status);
        Assert.Equal(HttpStatusCode.OK, (await DeductAsync(client, Id("o4"), c2, (a, 1))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{Id("o4")}/cancel", new { })).Status);
        Assert.Equal(HttpStatusCode.OK, (await DeductAsync(client, Id("o5"), c1, (c, 4))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{Id("o5")}/returns",
            new { returnId = "r1", lines = new[] { new { sku = c, quantity = 1 } } })).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order(Id("o6"), (a, 1)))).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await DeductAsync(client, Id("o7"), c1, (b, 2), (a, 1))).Status);

        var checker = new PersistenceChecker(connection, prefix, 16, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(Settle));
        Assert.Empty(await checker.CustomerDifferencesAsync([c1, c2]));
        var customers = await database.QueryAsync(
            $"select reference_id, kind, coalesce(customer_id, '') from ledger where reference_id like '{prefix}-%' order by reference_id, kind, sku",
            r => $"{r.GetString(0)} {r.GetString(1)} {r.GetString(2)}".Replace(prefix + "-", "", StringComparison.Ordinal));
        Assert.Contains("o1 deduct c1", customers);
        Assert.Contains("o3 deduct c2", customers);
        Assert.Contains("o4 cancel c2", customers);
        Assert.Contains("o5 return c1", customers);
        Assert.Contains("o6 deduct ", customers);
        Assert.DoesNotContain(customers, x => x.StartsWith("o2 ", StringComparison.Ordinal));
        var limits = await database.QueryAsync($"select sku, coalesce(limit_per_customer, 0) from stock where sku in ('{a}', '{b}', '{c}') order by sku",
            r => (r.GetString(0), r.GetInt64(1)));
        Assert.Equal(new[] { (a, 2L), (b, 0L), (c, 5L) }.OrderBy(x => x.Item1, StringComparer.Ordinal), limits);

        var before = await checker.RedisAsync();
        await redis.RestartEmptyAsync();
        await WaitRebuiltAsync(connection, prefix, client);

        Assert.Equal(before, await checker.RedisAsync());
        Assert.Equal(new Dictionary<string, long> { [a] = 2, [c] = 5 }, await checker.RedisLimitsAsync());
        Assert.Empty(await checker.CustomerDifferencesAsync([c1, c2]));
        Assert.Equal(2, (await client.GetJsonAsync($"api/stock/{a}")).Body!["limitPerCustomer"]!.GetValue<long>());

        // The limits hold as before: c1 has 2 of a and 3 of c, c2 has 1 of a.
        var refused = await DeductAsync(client, Id("o8"), c1, (a, 1));
        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal(2, refused.Body!["lines"]![0]!["alreadyTaken"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.OK, (await DeductAsync(client, Id("o9"), c2, (a, 1))).Status);
        Assert.Equal(HttpStatusCode.OK, (await DeductAsync(client, Id("o10"), c1, (c, 2))).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await DeductAsync(client, Id("o11"), c1, (c, 1))).Status);

        // An order from before the wipe: replays under its customer, is other lines under another, and a cancel gives its allowance back.
        var replay = await DeductAsync(client, Id("o1"), c1, (a, 2));
        Assert.True(replay.Status == HttpStatusCode.OK, replay.Body?.ToJsonString());
        Assert.Equal(o1.Body!.ToJsonString(), replay.Body!.ToJsonString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await DeductAsync(client, Id("o1"), c2, (a, 2))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{Id("o1")}/cancel", new { })).Status);
        Assert.Equal(HttpStatusCode.OK, (await DeductAsync(client, Id("o12"), c1, (a, 2))).Status);

        Assert.Empty(await checker.WaitUntilEqualAsync(Settle));
        Assert.Empty(await checker.CustomerDifferencesAsync([c1, c2]));
    }

    [Fact]
    public async Task An_order_redis_forgot_keeps_its_customer_replays_refuses_another_customer_and_its_cancel_gives_the_allowance_back()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = await PrivateRedis.StartAsync();
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",abortConnect=false");
        var prefix = TestEnvironment.UniquePrefix("limf");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__IdempotencyTtl"] = "00:00:04";
        await using var server = new ServerProcess(redis.Configuration, prefix, settings);
        await server.StartAsync();
        var (a, b) = ReturnTests.TwoPartitions("lf");
        using var admin = server.CreateClient(ServerProcess.AdminKey);
        await PutAsync(admin, a, new { available = 20, limitPerCustomer = 2 });
        await PutAsync(admin, b, new { available = 20, limitPerCustomer = 2 });
        using var client = server.CreateClient();
        var (c1, c2) = ($"{prefix}-c1", $"{prefix}-c2");
        var (single, multi) = ($"{prefix}-o1", $"{prefix}-o2");
        var first = await DeductAsync(client, single, c1, (a, 2));
        var firstMulti = await DeductAsync(client, multi, c2, (a, 1), (b, 2));
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.Status, firstMulti.Status));
        var checker = new PersistenceChecker(connection, prefix, 16, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(Settle));
        await WaitForgottenAsync(connection, prefix, [(single, [a]), (multi, [a, b])]);

        var replay = await DeductAsync(client, single, c1, (a, 2));
        var replayMulti = await DeductAsync(client, multi, c2, (b, 2), (a, 1));
        Assert.True(replay.Status == HttpStatusCode.OK, replay.Body?.ToJsonString());
        Assert.Equal(first.Body!.ToJsonString(), replay.Body!.ToJsonString());
        Assert.Equal(firstMulti.Body!.ToJsonString(), replayMulti.Body!.ToJsonString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await DeductAsync(client, single, c2, (a, 2))).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostAsync("api/deductions", HttpCalls.Order(multi, (a, 1), (b, 2)))).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await DeductAsync(client, $"{prefix}-o3", c2, (b, 1))).Status);

        // Forgotten again, then cancelled straight away: the restore from SQL brings the customer back with the records.
        await WaitForgottenAsync(connection, prefix, [(single, [a]), (multi, [a, b])]);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{single}/cancel", new { })).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{multi}/cancel", new { })).Status);
        Assert.Equal(HttpStatusCode.OK, (await DeductAsync(client, $"{prefix}-o4", c1, (a, 2))).Status);
        Assert.Equal(HttpStatusCode.OK, (await DeductAsync(client, $"{prefix}-o5", c2, (b, 2))).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await DeductAsync(client, $"{prefix}-o6", c1, (a, 1))).Status);
        Assert.Equal((18L, 18L), (await client.AvailableAsync(a) ?? -1, await client.AvailableAsync(b) ?? -1));
        Assert.Empty(await checker.WaitUntilEqualAsync(Settle));
        Assert.Empty(await checker.CustomerDifferencesAsync([c1, c2]));
    }

    /// <summary>Until the claims and records of the orders have expired (the idempotency TTL passed).</summary>
    private static async Task WaitForgottenAsync(ConnectionMultiplexer connection, string prefix, (string OrderId, string[] Skus)[] orders)
    {
        var partitioner = new Inventory.Domain.Partitioner(16);
        var keys = orders.SelectMany(o => o.Skus.Select(s => (RedisKey)$"{{{prefix}:{partitioner.PartitionOf(s)}}}:o:{o.OrderId}")
            .Append($"{{{prefix}:{partitioner.HomeOf(o.OrderId)}}}:c:{o.OrderId}")).ToArray();
        var deadline = DateTime.UtcNow + Settle;
        while (await connection.GetDatabase().KeyExistsAsync(keys) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "Redis still remembers the orders");
            await Task.Delay(250);
        }
    }

    private static async Task PutAsync(HttpClient admin, string sku, object body) =>
        (await admin.PutAsync($"api/stock/{sku}", HttpCalls.Json(body))).EnsureSuccessStatusCode();

    private static Task<(HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Body, HttpResponseMessage Response)> DeductAsync(
        HttpClient client, string orderId, string customerId, params (string Sku, long Quantity)[] lines) =>
        client.PostAsync("api/deductions", CustomerLimitTests.Order(orderId, customerId, lines));

    /// <summary>Every partition's marker is back (written only after its rebuild) and health says so.</summary>
    private static async Task WaitRebuiltAsync(ConnectionMultiplexer connection, string prefix, HttpClient client)
    {
        var deadline = DateTime.UtcNow + Settle;
        var markers = Enumerable.Range(0, 16).Select(p => (RedisKey)$"{{{prefix}:{p}}}:marker").ToArray();
        while (await connection.GetDatabase().KeyExistsAsync(markers) < markers.Length
            || (await client.GetJsonAsync("api/health")).Body?["status"]?.GetValue<string>() != "healthy")
        {
            Assert.True(DateTime.UtcNow < deadline, "the partitions were not rebuilt in time");
            await Task.Delay(100);
        }
    }
}
