using System.Globalization;
using System.Net;
using Inventory.Tests.Checkout;
using Inventory.Tests.Engine;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Http;

/// <summary>
/// kill -9 of the server while holds are about to expire (some perhaps mid-expiry), then a restart: every hold
/// expires exactly once, which the ledger shows as one expire row per SKU and reservation.
/// </summary>
public sealed class ReservationCrashTests
{
    [Fact]
    public async Task Holds_near_expiry_expire_exactly_once_across_a_kill_and_restart()
    {
        await using var database = await TestDatabase.CreateAsync();
        var prefix = TestEnvironment.UniquePrefix("hc");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__RecoverAfter"] = "00:00:03";
        await using var server = new ServerProcess(TestEnvironment.Redis, prefix, settings);
        await server.StartAsync();
        var (a, b) = ReturnTests.TwoPartitions("hcr");
        await server.SetStockAsync(a, 100);
        await server.SetStockAsync(b, 100);

        // Thirty holds over about three seconds, so their expiry times spread around the moment of the kill.
        const int holds = 30;
        var expiries = new List<(string Id, DateTimeOffset ExpiresAt)>();
        using (var client = server.CreateClient())
        {
            for (var i = 0; i < holds; i++)
            {
                var id = $"{prefix}-{i}";
                var hold = await client.PostAsync("api/reservations", ReservationTests.Hold(id, 30, (a, 2), (b, 1)));
                Assert.Equal(HttpStatusCode.OK, hold.Status);
                expiries.Add((id, DateTimeOffset.Parse(hold.Body!["expiresAt"]!.GetValue<string>(), CultureInfo.InvariantCulture)));
                await Task.Delay(100);
            }
        }

        var middle = expiries[holds / 2].ExpiresAt;
        await Task.Delay(middle - DateTimeOffset.UtcNow);
        server.Kill();
        Assert.True(await server.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        await Task.Delay(TimeSpan.FromSeconds(2));
        await server.StartAsync();

        using var restarted = server.CreateClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline && (await restarted.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>() > 0)
        {
            await Task.Delay(200);
        }

        Assert.Equal(0, (await restarted.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>());
        Assert.Equal(0, (await restarted.GetJsonAsync($"api/stock/{b}")).Body!["reserved"]!.GetValue<long>());
        Assert.Equal(100, await restarted.AvailableAsync(a));
        Assert.Equal(100, await restarted.AvailableAsync(b));
        foreach (var (id, _) in expiries)
        {
            Assert.Equal("expired", (await restarted.GetJsonAsync($"api/reservations/{id}")).Body!["status"]!.GetValue<string>());
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        var checker = new PersistenceChecker(redis, prefix, 16, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));
        var rows = await database.QueryAsync(
            "select reference_id, sku, kind, count(*) from ledger where kind in ('hold', 'expire', 'release', 'commit') group by reference_id, sku, kind",
            r => (Id: r.GetString(0), Sku: r.GetString(1), Kind: r.GetString(2), Count: r.GetInt64(3)));
        Assert.DoesNotContain(rows, r => r.Kind is "release" or "commit");
        foreach (var (id, _) in expiries)
        {
            foreach (var sku in new[] { a, b })
            {
                Assert.Equal(1, rows.SingleOrDefault(r => r.Id == id && r.Sku == sku && r.Kind == "hold").Count);
                Assert.Equal(1, rows.SingleOrDefault(r => r.Id == id && r.Sku == sku && r.Kind == "expire").Count);
            }
        }
    }
}
