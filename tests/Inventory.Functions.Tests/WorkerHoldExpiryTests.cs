using System.Globalization;
using System.Net;
using Inventory.Tests.Checkout;
using Inventory.Tests.Infrastructure;

namespace Inventory.Functions.Tests;

/// <summary>The ExpireHolds timer through the real worker: a hold past expiresAt comes back when the timer runs, once.</summary>
public sealed class WorkerHoldExpiryTests : IAsyncLifetime
{
    private FunctionsWorker _worker = null!;

    public async Task InitializeAsync() => _worker = await FunctionsWorker.StartAsync(TestEnvironment.UniquePrefix("fh"));

    public async Task DisposeAsync() => await _worker.DisposeAsync();

    [Fact]
    public async Task The_timer_gives_back_an_expired_hold_exactly_once()
    {
        var sku = $"fhx-{Guid.NewGuid():N}"[..16];
        await _worker.SetStockAsync(sku, 5);
        using var client = _worker.CreateClient();
        var hold = await client.PostAsync("api/reservations", ReservationTests.Hold("h-" + sku, 30, (sku, 2)));
        var released = await client.PostAsync("api/reservations", ReservationTests.Hold("r-" + sku, 600, (sku, 1)));
        Assert.Equal(HttpStatusCode.OK, hold.Status);
        Assert.Equal(HttpStatusCode.OK, released.Status);
        Assert.Equal(2, (await client.AvailableAsync(sku)));
        var expiresAt = DateTimeOffset.Parse(hold.Body!["expiresAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);

        // Timer schedules are off in this worker: fire it before expiresAt (nothing is due), then after.
        Assert.True((await _worker.Host.FireTimerAsync("ExpireHolds")).Succeeded);
        Assert.Equal(2, (await client.AvailableAsync(sku)));
        await Task.Delay(expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200));
        for (var i = 0; i < 3; i++)
        {
            var run = await _worker.Host.FireTimerAsync("ExpireHolds");
            Assert.True(run.Succeeded, run.Error);
        }

        var stock = await client.GetJsonAsync($"api/stock/{sku}");
        Assert.Equal(4, stock.Body!["available"]!.GetValue<long>());
        Assert.Equal(1, stock.Body["reserved"]!.GetValue<long>());
        Assert.Equal("expired", (await client.GetJsonAsync($"api/reservations/h-{sku}")).Body!["status"]!.GetValue<string>());
        Assert.Equal("held", (await client.GetJsonAsync($"api/reservations/r-{sku}")).Body!["status"]!.GetValue<string>());
        var commit = await client.PostAsync($"api/reservations/h-{sku}/commit", new { orderId = "o-" + sku });
        Assert.Equal(HttpStatusCode.Conflict, commit.Status);
        Assert.Equal("expired", commit.Body!["status"]!.GetValue<string>());
    }
}
