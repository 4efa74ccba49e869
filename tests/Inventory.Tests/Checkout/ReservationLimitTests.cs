using System.Net;
using Inventory.Domain;
using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Checkout;

/// <summary>
/// Per-customer limits on holds. The limit is written straight into the partition's lim hash, the key set_stock.lua
/// will write once PUT /api/stock/{sku} takes limitPerCustomer (docs/holds.md, "Per-customer limits").
/// </summary>
public sealed class ReservationLimitTests(StandaloneServer fixture) : IClassFixture<StandaloneServer>
{
    [Fact]
    public async Task One_customers_parallel_holds_stop_at_the_limit_and_releases_give_the_allowance_back()
    {
        var server = fixture.Server;
        var sku = $"lim-{Guid.NewGuid():N}"[..18];
        await server.SetStockAsync(sku, 100);
        var partition = new Partitioner(16).PartitionOf(sku);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        var tag = $"{{{server.KeyPrefix}:{partition}}}";
        await redis.GetDatabase().HashSetAsync(tag + ":lim", sku, 2);
        using var client = server.CreateClient();

        var first = await client.PostAsync("api/reservations", Hold($"{sku}-first", "C1", 1));
        var racing = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => client.PostAsync("api/reservations", Hold($"{sku}-race-{i}", "C1", 1)))));
        var otherCustomer = await client.PostAsync("api/reservations", Hold($"{sku}-other", "C2", 2));
        var noCustomer = await client.PostAsync("api/reservations", ReservationTests.Hold($"{sku}-anon", 600, (sku, 5)));
        var sameIdOtherCustomer = await client.PostAsync("api/reservations", Hold($"{sku}-first", "C2", 1));

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Single(racing, r => r.Status == HttpStatusCode.OK);
        var refused = racing.Where(r => r.Status != HttpStatusCode.OK).ToList();
        Assert.All(refused, r => Assert.Equal(HttpStatusCode.Conflict, r.Status));
        Assert.All(refused, r => Assert.Equal(
            $$"""{"reservationId":"{{r.Body!["reservationId"]!.GetValue<string>()}}","status":"limit_exceeded","lines":[{"sku":"{{sku}}","limit":2,"alreadyTaken":2,"requested":1}]}""",
            r.Body!.ToJsonString()));
        Assert.Equal(HttpStatusCode.OK, otherCustomer.Status);
        Assert.Equal(HttpStatusCode.OK, noCustomer.Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, sameIdOtherCustomer.Status);
        Assert.Equal(2, (long)await redis.GetDatabase().HashGetAsync(tag + ":cu:C1", sku));

        // A commit leaves the count as it is (held units were counted); a release gives them back.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/reservations/{sku}-first/commit", new { orderId = $"o-{sku}" })).Status);
        Assert.Equal(2, (long)await redis.GetDatabase().HashGetAsync(tag + ":cu:C1", sku));
        var winner = racing.Single(r => r.Status == HttpStatusCode.OK).Body!["reservationId"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/reservations/{winner}/release", new { })).Status);
        Assert.Equal(1, (long)await redis.GetDatabase().HashGetAsync(tag + ":cu:C1", sku));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", Hold($"{sku}-again", "C1", 1))).Status);
        Assert.Equal(100 - 1 - 2 - 5 - 1, await client.AvailableAsync(sku));
    }

    private static object Hold(string reservationId, string customerId, long quantity) =>
        new { reservationId, lines = new[] { new { sku = reservationId[..18], quantity } }, customerId };
}
