using System.Net;
using System.Text.Json.Nodes;
using Inventory.Tests.Engine;
using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Checkout;

/// <summary>GET /api/stock/{sku}/history: SQL's ledger, oldest first, paged by sequence.</summary>
public sealed class StockHistoryTests(StandaloneServer noSql) : IClassFixture<StandaloneServer>
{
    [Fact]
    public async Task History_pages_through_every_change_oldest_first_once_the_engine_persisted_it()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, EngineEndToEndTests.EngineSettings(database));
        await server.StartAsync();
        const string sku = "hist-a";
        using var client = server.CreateClient();
        using var admin = server.CreateClient(ServerProcess.AdminKey);
        await server.SetStockAsync(sku, 10);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order("h-1", (sku, 3)))).Status);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"api/stock/{sku}/adjustments", new { adjustmentId = "h-adj", delta = 5, reason = "restock" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions/h-1/cancel", new { })).Status);

        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        var first = await client.GetJsonAsync($"api/stock/{sku}/history?limit=2");
        var second = await client.GetJsonAsync($"api/stock/{sku}/history?limit=2&after={first.Body!["next"]}");
        var all = await client.GetJsonAsync($"api/stock/{sku}/history");

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(2, first.Body["next"]!.GetValue<long>());
        Assert.Null(second.Body!["next"]);
        var items = all.Body!["items"]!.AsArray();
        Assert.Null(all.Body["next"]);
        Assert.Equal(
            [(1L, "set", "", 10L, 10L), (2L, "deduct", "h-1", -3L, 7L), (3L, "adjust", "h-adj", 5L, 12L), (4L, "cancel", "h-1", 3L, 15L)],
            items.Select(Item));
        Assert.Equal(items.Take(2).Select(i => i!.ToJsonString()), first.Body["items"]!.AsArray().Select(i => i!.ToJsonString()));
        Assert.Equal(items.Skip(2).Select(i => i!.ToJsonString()), second.Body["items"]!.AsArray().Select(i => i!.ToJsonString()));
        var at = DateTimeOffset.Parse(items[0]!["at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.Zero, at.Offset);
        Assert.True(Math.Abs((DateTimeOffset.UtcNow - at).TotalMinutes) < 5);
        Assert.EndsWith("Z", items[0]!["at"]!.GetValue<string>(), StringComparison.Ordinal);

        var unknown = await client.GetJsonAsync("api/stock/hist-never/history");
        var badLimit = await client.GetJsonAsync($"api/stock/{sku}/history?limit=501");
        var badAfter = await client.GetJsonAsync($"api/stock/{sku}/history?after=-1");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badLimit.Status);
        Assert.NotNull(badLimit.Body!["errors"]!["limit"]);
        Assert.NotNull(badAfter.Body!["errors"]!["after"]);
    }

    [Fact]
    public async Task Without_sql_history_answers_503_naming_why()
    {
        using var client = noSql.Server.CreateClient();
        var response = await client.GetAsync("api/stock/any-sku/history");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("without SQL", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static (long, string, string, long, long) Item(JsonNode? item) =>
        (item!["seq"]!.GetValue<long>(), item["kind"]!.GetValue<string>(), item["id"]!.GetValue<string>(), item["delta"]!.GetValue<long>(), item["availableAfter"]!.GetValue<long>());
}
