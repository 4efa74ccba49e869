using System.Net;
using Inventory.Application;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Http;

public class HotSkuLimiterTests
{
    [Fact]
    public async Task Throttling_one_sku_never_throttles_another()
    {
        await using var limiter = new HotSkuLimiter(new HotSkuOptions { Enabled = true, PermitsPerWindow = 5, WindowMilliseconds = 1000, QueueLimit = 0 });

        var hot = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => limiter.TryAcquireAsync(["hot"], default).AsTask()));
        var cold = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => limiter.TryAcquireAsync(["cold"], default).AsTask()));

        Assert.Equal(5, hot.Count(r => r is null));
        Assert.Equal(15, hot.Count(r => r is not null));
        Assert.All(cold, r => Assert.Null(r));
    }

    [Fact]
    public async Task A_short_queue_smooths_a_burst_into_later_windows()
    {
        await using var limiter = new HotSkuLimiter(new HotSkuOptions { Enabled = true, PermitsPerWindow = 5, WindowMilliseconds = 10, QueueLimit = 50 });

        var burst = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => limiter.TryAcquireAsync(["burst"], default).AsTask()));

        Assert.All(burst, r => Assert.Null(r));
    }

    [Fact]
    public async Task Disabled_by_default()
    {
        await using var limiter = new HotSkuLimiter(new HotSkuOptions());
        Assert.False(limiter.Enabled);
        Assert.Null(await limiter.TryAcquireAsync(Enumerable.Repeat("x", 10_000), default));
    }

    [Fact]
    public async Task Through_http_a_throttled_sku_gets_429_with_retry_after_while_others_and_replays_pass()
    {
        await using var server = new ServerProcess(TestEnvironment.Redis, TestEnvironment.UniquePrefix("l"), new Dictionary<string, string>
        {
            ["Inventory__HotSku__Enabled"] = "true",
            ["Inventory__HotSku__PermitsPerWindow"] = "3",
            ["Inventory__HotSku__WindowMilliseconds"] = "2000",
            ["Inventory__HotSku__QueueLimit"] = "0",
        });
        await server.StartAsync();
        await server.SetStockAsync("hot", 100);
        await server.SetStockAsync("cold", 100);
        using var client = server.CreateClient();

        var first = await client.PostAsync("api/deductions", HttpCalls.Order("h-0", ("hot", 1)));
        var burst = await Task.WhenAll(Enumerable.Range(1, 20).Select(i => client.PostAsync("api/deductions", HttpCalls.Order($"h-{i}", ("hot", 1)))));
        var cold = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => client.PostAsync("api/deductions", HttpCalls.Order($"c-{i}", ("cold", 1)))));
        var replay = await client.PostAsync("api/deductions", HttpCalls.Order("h-0", ("hot", 1)));

        var throttled = burst.Where(r => r.Status == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.NotEmpty(throttled);
        Assert.All(throttled, r => Assert.True(r.Response.Headers.RetryAfter?.Delta > TimeSpan.Zero));
        Assert.All(throttled, r => Assert.Equal("application/problem+json", r.Response.Content.Headers.ContentType!.MediaType));
        Assert.All(cold, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(100 - 1 - burst.Count(r => r.Status == HttpStatusCode.OK), await client.AvailableAsync("hot"));
    }
}
