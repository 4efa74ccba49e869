using System.Net;
using System.Text.Json.Nodes;
using Inventory.Tests.Engine;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Checkout;

/// <summary>
/// Reservations that ended (committed, released, expired) before their home partition was lost are remembered from
/// SQL's ledger, as forgotten orders are (the seen filter knows the reservation id, so only those ids ask SQL): GET
/// answers what each ended as, a commit or release replay answers the original body, and a hold POST replay answers
/// the original hold body instead of holding the units again.
/// </summary>
public sealed class ReservationEndedLossTests
{
    [Fact]
    public async Task Ended_reservations_whose_home_is_lost_answer_from_the_ledger_and_never_hold_again()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__Recovery__CheckInterval"] = "00:00:01";
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        var pair = ReturnTests.TwoPartitions("hel");
        var (a, b) = string.CompareOrdinal(pair.Item1, pair.Item2) < 0 ? pair : (pair.Item2, pair.Item1);
        var partition = redis.Partitioner.PartitionOf(a);
        await server.SetStockAsync(a, 100);
        await server.SetStockAsync(b, 100);
        using var client = server.CreateClient();

        // All three live (home) in a's partition, which is lost; b's partition survives.
        var ids = Enumerable.Range(0, 300).Select(i => $"{a}-h{i}").Where(id => redis.Partitioner.HoldHomeOf(id) == partition).Take(3).ToList();
        var (committed, released, expired) = (ids[0], ids[1], ids[2]);
        var orderId = "o-" + committed;
        var holds = new Dictionary<string, string>();
        foreach (var id in ids)
        {
            var hold = await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 1)));
            Assert.Equal(HttpStatusCode.OK, hold.Status);
            holds[id] = hold.Body!.ToJsonString();
        }

        var commit = await client.PostAsync($"api/reservations/{committed}/commit", new { orderId });
        Assert.Equal(HttpStatusCode.OK, commit.Status);
        var release = await client.PostAsync($"api/reservations/{released}/release", new { });
        Assert.Equal(HttpStatusCode.OK, release.Status);

        // The third expires: its expiresAt is moved into the past (a 30 s hold would make the test wait 30 s).
        var db = redis.Connection.GetDatabase();
        var keys = new Inventory.Redis.RedisKeys(redis.Options.KeyPrefix);
        var home = redis.Partitioner.HoldHomeOf(expired);
        var past = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds();
        await db.HashSetAsync(keys.Hold(home, expired), "x", past);
        await db.SortedSetAddAsync(keys.HoldExpiry(home), expired, past);
        await Protocol.ClusterControl.Until(async () => (string?)await db.HashGetAsync(keys.Hold(home, expired), "st") == "expired",
            TimeSpan.FromSeconds(30), "the loop expired the reservation");
        var views = new Dictionary<string, string>();
        foreach (var id in ids)
        {
            views[id] = (await client.GetJsonAsync($"api/reservations/{id}")).Body!.ToJsonString();
        }

        Assert.Equal(98, await client.AvailableAsync(a));
        Assert.Equal(99, await client.AvailableAsync(b));
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        var tag = $"{{{redis.Options.KeyPrefix}:{partition}}}";
        RedisKey[] lost =
        [
            .. new[] { "stock", "seq", "journal", "marker", "pending", "seen", "held", "expiry" }.Select(k => (RedisKey)$"{tag}:{k}"),
            .. ids.Select(id => (RedisKey)$"{tag}:hr:{id}"),
            .. ids.Select(id => (RedisKey)$"{tag}:h:{id}"),
            (RedisKey)$"{tag}:o:{orderId}",
            (RedisKey)$"{tag}:c:{orderId}",
        ];
        await db.KeyDeleteAsync(lost);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        var probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{a}-probe", (a, 1)));
        while (probe.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{a}-probe", (a, 1)));
        }

        Assert.Equal(HttpStatusCode.OK, probe.Status);
        Assert.Equal(97, await client.AvailableAsync(a));
        foreach (var id in ids)
        {
            var view = await client.GetJsonAsync($"api/reservations/{id}");
            Assert.Equal(HttpStatusCode.OK, view.Status);
            if (id == expired)
            {
                // The ledger knows the expiresAt the hold answered, not the one this test moved in Redis only.
                Assert.Equal(JsonNode.Parse(holds[id])!["expiresAt"]!.ToJsonString(), view.Body!["expiresAt"]!.ToJsonString());
                view.Body["expiresAt"] = JsonNode.Parse(views[id])!["expiresAt"]!.DeepClone();
            }

            Assert.Equal(views[id], view.Body!.ToJsonString());
        }

        var commitReplay = await client.PostAsync($"api/reservations/{committed}/commit", new { orderId });
        Assert.Equal(HttpStatusCode.OK, commitReplay.Status);
        Assert.Equal("true", commitReplay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(commit.Body!.ToJsonString(), commitReplay.Body!.ToJsonString());
        var releaseReplay = await client.PostAsync($"api/reservations/{released}/release", new { });
        Assert.Equal(HttpStatusCode.OK, releaseReplay.Status);
        Assert.Equal("true", releaseReplay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(release.Body!.ToJsonString(), releaseReplay.Body!.ToJsonString());
        var lateCommit = await client.PostAsync($"api/reservations/{released}/commit", new { orderId = "o2-" + released });
        Assert.Equal(HttpStatusCode.Conflict, lateCommit.Status);
        Assert.Equal("released", lateCommit.Body!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"api/reservations/{committed}/release", new { })).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"api/reservations/{expired}/release", new { })).Status);

        // A hold POST replay answers the original hold body, as it does while the home is intact, and holds nothing.
        foreach (var id in ids)
        {
            var replay = await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 1)));
            Assert.Equal(HttpStatusCode.OK, replay.Status);
            Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal(holds[id], replay.Body!.ToJsonString());
        }

        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostAsync("api/reservations", ReservationTests.Hold(released, 600, (a, 5)))).Status);
        Assert.Equal(97, await client.AvailableAsync(a));
        Assert.Equal(99, await client.AvailableAsync(b));
        Assert.Equal(0, (await client.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>());

        // A reservation id nobody used is still new (and costs no SQL read unless the filter gives a false positive).
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetJsonAsync($"api/reservations/{a}-never")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold($"{a}-new", 600, (a, 1)))).Status);
        Assert.Equal(96, await client.AvailableAsync(a));
    }
}
