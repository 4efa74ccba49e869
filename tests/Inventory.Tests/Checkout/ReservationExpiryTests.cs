using System.Globalization;
using System.Net;
using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Checkout;

/// <summary>
/// Reservations expiring by themselves (the plain server's expiry loop) while commits race them. The shortest TTL
/// the API allows is 30 s, so each test waits that long once.
/// </summary>
public abstract class ReservationExpiryTests(IApiHost server)
{
    [Fact]
    public async Task Holds_expiring_while_commits_arrive_end_committed_xor_expired_and_the_rest_come_back_within_five_seconds()
    {
        var (a, b) = ReturnTests.TwoPartitions("exp");
        const int holds = 40;
        await server.SetStockAsync(a, holds * 2);
        await server.SetStockAsync(b, holds);
        using var client = server.CreateClient();
        var held = await Task.WhenAll(Enumerable.Range(0, holds).Select(async i =>
        {
            var hold = await client.PostAsync("api/reservations", ReservationTests.Hold($"{a}-{i}", 30, (a, 2), (b, 1)));
            Assert.Equal(HttpStatusCode.OK, hold.Status);
            return (Id: $"{a}-{i}", ExpiresAt: DateTimeOffset.Parse(hold.Body!["expiresAt"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        }));
        Assert.Equal(0, await client.AvailableAsync(a));
        var expiresAt = held.Max(h => h.ExpiresAt);

        // A quarter is never committed (they only expire); the rest commit at random moments around expiresAt.
        var commits = held.Skip(holds / 4).Select(h => Task.Run(async () =>
        {
            var at = h.ExpiresAt + TimeSpan.FromMilliseconds(Random.Shared.Next(-1500, 1500));
            var wait = at - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var commit = await client.PostAsync($"api/reservations/{h.Id}/commit", new { orderId = "o-" + h.Id });
            var replay = await client.PostAsync($"api/reservations/{h.Id}/commit", new { orderId = "o-" + h.Id });
            return (h.Id, commit.Status, Status409: commit.Body!["status"]!.GetValue<string>(), Replay: replay.Status);
        })).ToList();
        var answers = await Task.WhenAll(commits);

        var reservedGone = await WaitAsync(async () => (await client.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>() == 0
            && (await client.GetJsonAsync($"api/stock/{b}")).Body!["reserved"]!.GetValue<long>() == 0, TimeSpan.FromSeconds(15));
        Assert.True(reservedGone, "held units came back");
        Assert.True(DateTimeOffset.UtcNow - expiresAt < TimeSpan.FromSeconds(5) || answers.Length == 0, "expired holds came back within 5 s of expiresAt");

        Assert.All(answers, x => Assert.True(x.Status is HttpStatusCode.OK || (x.Status == HttpStatusCode.Conflict && x.Status409 == "expired"), $"{x.Id}: {x.Status} {x.Status409}"));
        Assert.All(answers, x => Assert.Equal(x.Status, x.Replay));
        var committed = answers.Where(x => x.Status == HttpStatusCode.OK).Select(x => x.Id).ToHashSet();
        // Commits land on both sides of expiresAt (30 of them at random within 1.5 s either side): the race was run.
        Assert.InRange(committed.Count, 1, answers.Length - 1);
        foreach (var (id, _) in held)
        {
            var view = await client.GetJsonAsync($"api/reservations/{id}");
            var order = await client.GetJsonAsync($"api/deductions/o-{id}");
            Assert.Equal(committed.Contains(id) ? "committed" : "expired", view.Body!["status"]!.GetValue<string>());
            Assert.Equal(committed.Contains(id) ? HttpStatusCode.OK : HttpStatusCode.NotFound, order.Status);
        }

        // Units add up: every held unit is either sold (committed) or back on sale (expired), once.
        Assert.Equal((holds - committed.Count) * 2, await client.AvailableAsync(a));
        Assert.Equal(holds - committed.Count, await client.AvailableAsync(b));
        var release = await client.PostAsync($"api/reservations/{held[0].Id}/release", new { });
        Assert.Equal(HttpStatusCode.Conflict, release.Status);
        Assert.Equal("expired", release.Body!["status"]!.GetValue<string>());
    }

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return await condition();
    }
}

public sealed class StandaloneReservationExpiryTests(StandaloneServer fixture) : ReservationExpiryTests(fixture.Server), IClassFixture<StandaloneServer>;

public sealed class ClusterReservationExpiryTests(ClusterServer fixture) : ReservationExpiryTests(fixture.Server), IClassFixture<ClusterServer>;
