using System.Net;
using Inventory.Tests.Engine;
using Inventory.Tests.Infrastructure;
using Inventory.Tests.Protocol;

namespace Inventory.Tests.Checkout;

/// <summary>
/// Returns reach SQL as their own journal kind, and keep their guarantees after Redis forgot the order (idempotency
/// TTL of 6 s here): a retried return id replays, the returnable amount and a later cancel come from the ledger.
/// </summary>
public sealed class ReturnPersistenceTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Returns_and_a_cancel_after_redis_forgot_the_order_restock_every_unit_exactly_once_and_sql_equals_redis()
    {
        await using var database = await TestDatabase.CreateAsync();
        var prefix = TestEnvironment.UniquePrefix("rp");
        await using var cluster = await ClusterControl.ConnectAsync(prefix);
        var skus = cluster.SkusOnDistinctPrimaries($"{prefix}-s", 2);
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__IdempotencyTtl"] = "00:00:06";
        await using var server = new ServerProcess(TestEnvironment.RedisCluster, prefix, settings);
        await server.StartAsync();
        foreach (var sku in skus)
        {
            await server.SetStockSettledAsync(sku, 10);
        }

        using var client = server.CreateClient();
        var checker = new PersistenceChecker(cluster.Admin, cluster.Prefix, cluster.Partitioner.Count, database);
        var orderId = $"{prefix}-o";
        var (a, b) = (skus[0], skus[1]);
        Assert.Equal(HttpStatusCode.OK, (await client.DeductAsync(orderId, (a, 3), (b, 3))).Status);
        var first = await ReturnAsync(client, orderId, "r1", (a, 1));
        Assert.Equal(HttpStatusCode.OK, first.Status);
        await ForgetAsync(cluster, checker, orderId, skus, "r1");

        var retry = await ReturnAsync(client, orderId, "r1", (a, 1));
        var tooMany = await ReturnAsync(client, orderId, "r2", (a, 3));
        var second = await ReturnAsync(client, orderId, "r2", (a, 2), (b, 1));
        Assert.Equal(HttpStatusCode.OK, retry.Status);
        Assert.True(retry.Response.Replayed());
        Assert.Equal(first.Body!.ToJsonString(), retry.Body!.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, tooMany.Status);
        Assert.Equal(2, tooMany.Body!["lines"]![0]!["returnable"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal((10L, 8L), (await client.AvailableAsync(a) ?? -1, await client.AvailableAsync(b) ?? -1));
        await ForgetAsync(cluster, checker, orderId, skus, "r2");

        var cancel = await client.CancelAsync(orderId);
        Assert.Equal(HttpStatusCode.OK, cancel.Status);
        Assert.Equal((10L, 10L), (await client.AvailableAsync(a) ?? -1, await client.AvailableAsync(b) ?? -1));
        var late = await ReturnAsync(client, orderId, "r3", (b, 1));
        Assert.Equal(HttpStatusCode.Conflict, late.Status);
        Assert.Equal("cancelled", late.Body!["status"]!.GetValue<string>());

        Assert.Empty(await checker.WaitUntilEqualAsync(Settle));
        Assert.Equal("cancelled", await client.OrderStatusAsync(orderId));
        var history = (await client.GetJsonAsync($"api/stock/{a}/history")).Body!["items"]!.AsArray()
            .Select(i => (i!["kind"]!.GetValue<string>(), i["id"]!.GetValue<string>(), i["delta"]!.GetValue<long>())).ToList();
        Assert.Equal([("set", "", 10L), ("deduct", orderId, -3L), ("return", "r1", 1L), ("return", "r2", 2L), ("cancel", orderId, 0L)], history);
    }

    /// <summary>Waits until SQL holds everything, then until Redis forgot the order, its records and the return.</summary>
    private static async Task ForgetAsync(ClusterControl cluster, PersistenceChecker checker, string orderId, IReadOnlyList<string> skus, string returnId)
    {
        Assert.Empty(await checker.WaitUntilEqualAsync(Settle));
        await cluster.WaitUntilForgottenAsync(orderId, skus, Settle);
        var returnKey = (StackExchange.Redis.RedisKey)(cluster.Tag(cluster.Partitioner.HomeOf(orderId)) + ":rn:" + orderId + ":" + returnId);
        await ClusterControl.Until(async () => !await cluster.Admin.GetDatabase().KeyExistsAsync(returnKey), Settle, $"Redis still remembers return {returnId}");
    }

    private static Task<(HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Body, HttpResponseMessage Response)> ReturnAsync(
        HttpClient client, string orderId, string returnId, params (string Sku, long Quantity)[] lines) =>
        client.PostAsync($"api/deductions/{orderId}/returns", new { returnId, lines = lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }).ToArray() });
}
