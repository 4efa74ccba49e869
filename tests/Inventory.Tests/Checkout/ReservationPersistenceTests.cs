using System.Net;
using Inventory.Tests.Engine;
using Inventory.Tests.Infrastructure;
using Inventory.Tests.Protocol;

namespace Inventory.Tests.Checkout;

/// <summary>
/// Holds, commits, releases and expiries reach SQL's ledger as their own kinds, in the same journal as the change,
/// and SQL equals Redis once the engine drained. A committed order Redis forgot (idempotency TTL of 6 s here) is
/// answered from the ledger as a deduction, and its cancel restocks once.
/// </summary>
public sealed class ReservationPersistenceTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Holds_commits_releases_and_expiries_are_in_the_ledger_and_sql_equals_redis()
    {
        await using var database = await TestDatabase.CreateAsync();
        var prefix = TestEnvironment.UniquePrefix("hp");
        await using var cluster = await ClusterControl.ConnectAsync(prefix);
        var skus = cluster.SkusOnDistinctPrimaries($"{prefix}-s", 2);
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__IdempotencyTtl"] = "00:00:06";
        await using var server = new ServerProcess(TestEnvironment.RedisCluster, prefix, settings);
        await server.StartAsync();
        var (a, b) = (skus[0], skus[1]);
        await server.SetStockSettledAsync(a, 20);
        await server.SetStockSettledAsync(b, 20);
        using var client = server.CreateClient();
        var checker = new PersistenceChecker(cluster.Admin, cluster.Prefix, cluster.Partitioner.Count, database);

        var (committed, released, expiring, cancelled) = ($"{prefix}-h1", $"{prefix}-h2", $"{prefix}-h3", $"{prefix}-h4");
        var (order, cancelledOrder) = ($"{prefix}-o1", $"{prefix}-o2");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(committed, 600, (a, 2), (b, 1)))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(released, 600, (a, 1)))).Status);
        var expiringHold = await client.PostAsync("api/reservations", ReservationTests.Hold(expiring, 30, (a, 1), (b, 1)));
        Assert.Equal(HttpStatusCode.OK, expiringHold.Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(cancelled, 600, (b, 2)))).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("api/reservations", ReservationTests.Hold($"{prefix}-short", 600, (a, 100), (b, 1)))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/reservations/{committed}/commit", new { orderId = order })).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/reservations/{released}/release", new { })).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/reservations/{cancelled}/commit", new { orderId = cancelledOrder })).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.CancelAsync(cancelledOrder)).Status);

        await ClusterControl.Until(async () => (await client.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>() == 0, Settle, "the 30 s hold expired");
        Assert.Equal((18L, 19L), (await client.AvailableAsync(a) ?? -1, await client.AvailableAsync(b) ?? -1));
        Assert.Empty(await checker.WaitUntilEqualAsync(Settle));

        var history = (await client.GetJsonAsync($"api/stock/{b}/history")).Body!["items"]!.AsArray()
            .Select(i => (i!["kind"]!.GetValue<string>(), i["id"]!.GetValue<string>(), i["delta"]!.GetValue<long>())).ToList();
        Assert.Equal(
            new[] { ("set", "", 20L), ("hold", committed, -1L), ("hold", expiring, -1L), ("hold", cancelled, -2L), ("commit", order, 0L), ("commit", cancelledOrder, 0L), ("cancel", cancelledOrder, 2L), ("expire", expiring, 1L),
                // the refused hold held b before a refused: rolled back, both in the ledger
                ("hold", $"{prefix}-short", -1L), ("release", $"{prefix}-short", 1L) }
                .Order(),
            history.Order());
        var historyA = (await client.GetJsonAsync($"api/stock/{a}/history")).Body!["items"]!.AsArray().Select(i => i!["kind"]!.GetValue<string>()).ToList();
        Assert.Equal(["commit", "expire", "hold", "hold", "hold", "release", "set"], historyA.Order());
        Assert.Equal([1L], await database.QueryAsync($"select count(*) from ledger where kind = 'expire' and reference_id = '{expiring}' and sku = '{a}'", r => r.GetInt64(0)));

        // Redis forgets the committed order: SQL's ledger answers it as a deduction, and its cancel restocks once.
        await cluster.WaitUntilForgottenAsync(order, skus, Settle);
        var fromSql = await client.GetJsonAsync($"api/deductions/{order}");
        Assert.Equal(HttpStatusCode.OK, fromSql.Status);
        Assert.Equal("deducted", fromSql.Body!["status"]!.GetValue<string>());
        Assert.Equal([(a, 2L), (b, 1L)], fromSql.Body["lines"]!.AsArray().Select(l => (l!["sku"]!.GetValue<string>(), l["quantity"]!.GetValue<long>())).Order());
        var replay = await client.DeductAsync(order, (a, 2), (b, 1));
        Assert.Equal(HttpStatusCode.OK, replay.Status);
        Assert.True(replay.Response.Replayed());
        Assert.Equal(HttpStatusCode.OK, (await client.CancelAsync(order)).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.CancelAsync(order)).Status);
        Assert.Equal((20L, 20L), (await client.AvailableAsync(a) ?? -1, await client.AvailableAsync(b) ?? -1));
        Assert.Empty(await checker.WaitUntilEqualAsync(Settle));
    }
}
