using System.Net;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Http;

/// <summary>Concurrency and batch behaviour of the HTTP API, run against every host and Redis flavour.</summary>
public abstract class FlashSaleTests(IApiHost server)
{
    [Fact]
    public async Task Two_thousand_concurrent_orders_for_500_units_sell_exactly_500()
    {
        var sku = $"hot-{Guid.NewGuid():N}"[..20];
        await server.SetStockAsync(sku, 500);
        using var client = server.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 2000).Select(i => Task.Run(async () =>
        {
            using var response = await client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order($"{sku}-o{i}", (sku, 1))));
            return response.StatusCode;
        })));

        Assert.Equal(500, responses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(1500, responses.Count(s => s == HttpStatusCode.Conflict));
        Assert.Equal(0, await client.AvailableAsync(sku));
    }

    [Fact]
    public async Task Batch_answers_each_order_as_the_single_route_would_in_request_order()
    {
        var sku = $"b-{Guid.NewGuid():N}"[..16];
        await server.SetStockAsync(sku, 3);
        using var client = server.CreateClient();

        var (status, body, _) = await client.PostAsync("api/deductions/batch", new
        {
            deductions = new[]
            {
                HttpCalls.Order($"{sku}-1", (sku, 2)),
                HttpCalls.Order($"{sku}-2", (sku, 2)),
                HttpCalls.Order($"{sku}-1", (sku, 2)),
                HttpCalls.Order($"{sku}-3", ("never-stocked-" + sku, 1)),
                HttpCalls.Order($"{sku}-1", (sku, 1)),
            },
        });

        Assert.Equal(HttpStatusCode.OK, status);
        var results = body!["results"]!.AsArray();
        Assert.Equal([200, 409, 200, 404, 422], results.Select(r => r!["status"]!.GetValue<int>()));
        Assert.Equal("deducted", results[0]!["body"]!["status"]!.GetValue<string>());
        Assert.Equal(1, results[0]!["body"]!["lines"]![0]!["remaining"]!.GetValue<long>());
        Assert.True(results[2]!["replayed"]!.GetValue<bool>());
        Assert.Equal(results[0]!["body"]!.ToJsonString(), results[2]!["body"]!.ToJsonString());
        Assert.Equal("insufficient", results[1]!["body"]!["status"]!.GetValue<string>());
        Assert.Equal(1, await client.AvailableAsync(sku));
    }
}

public sealed class StandaloneFlashSaleTests(StandaloneServer fixture) : FlashSaleTests(fixture.Server), IClassFixture<StandaloneServer>;

public sealed class ClusterFlashSaleTests(ClusterServer fixture) : FlashSaleTests(fixture.Server), IClassFixture<ClusterServer>;
