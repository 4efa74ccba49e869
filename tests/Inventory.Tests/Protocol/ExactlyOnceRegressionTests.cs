using System.Diagnostics;
using System.Net;
using Inventory.Tests.Engine;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Protocol;

/// <summary>
/// Exactly-once regressions, black box over HTTP against the plain server on the 3-master cluster: a sale answered
/// 200 is never undone by a retry during a write stall, and an order Redis has forgotten (TTL passed) is neither
/// deducted again by a retry nor restocked twice by repeated cancels.
/// </summary>
public class ExactlyOnceRegressionTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(6000)]
    [InlineData(9000)]
    public async Task Retry_during_a_write_stall_never_undoes_a_sale(int pauseMilliseconds)
    {
        var prefix = TestEnvironment.UniquePrefix("xw");
        await using var cluster = await ClusterControl.ConnectAsync(prefix);
        var primaries = cluster.Primaries();
        Assert.Equal(3, primaries.Count);

        // One SKU per primary; for each, orders whose claim (home partition) is on every primary, so each pause
        // stalls: claim and deduction together, the deduction only, and the claim only.
        var skus = cluster.SkusOnDistinctPrimaries($"{prefix}-s", 3);
        var orders = new List<(string Id, string Sku, long Quantity)>();
        for (var s = 0; s < skus.Count; s++)
        {
            for (var h = 0; h < primaries.Count; h++)
            {
                var home = primaries[h];
                var id = ClusterControl.FindName($"{prefix}-o{s}{h}", i => cluster.PrimaryOfClaim(i) == home);
                orders.Add((id, skus[s], orders.Count + 1));
            }
        }

        await using var server = new ServerProcess(TestEnvironment.RedisCluster, prefix);
        await server.StartAsync();
        const long initial = 100;
        foreach (var sku in skus)
        {
            await server.SetStockSettledAsync(sku, initial);
        }

        using var client = server.CreateClient();
        foreach (var order in orders)
        {
            var first = await ProtocolCalls.SettledAsync(() => client.DeductAsync(order.Id, (order.Sku, order.Quantity)), Settle);
            Assert.Equal(HttpStatusCode.OK, first.Status);
        }

        foreach (var primary in primaries)
        {
            // Retry every order (same id, same lines) again and again while the node refuses writes, a new wave
            // every 400 ms without waiting for the last, so whenever the pause ends some retries are at every stage
            // of their timeouts and back-checks.
            var retries = new List<Task<(string Id, HttpStatusCode Status, string? Body, long At)>>();
            var stalled = Stopwatch.StartNew();
            await using (await cluster.PauseWritesAsync(primary, pauseMilliseconds))
            {
                do
                {
                    retries.AddRange(orders.Select(o => Task.Run(async () =>
                    {
                        var (status, body, _) = await client.DeductAsync(o.Id, (o.Sku, o.Quantity));
                        return (o.Id, status, body?.ToJsonString(), stalled.ElapsedMilliseconds);
                    })));
                    await Task.Delay(400);
                }
                while (stalled.ElapsedMilliseconds < pauseMilliseconds);
            }

            var results = await Task.WhenAll(retries);
            var answers = string.Join(", ", results.GroupBy(r => r.Id).Select(g => $"{g.Key}: {g.Count(r => r.Status == HttpStatusCode.OK)}x200 {g.Count(r => r.Status != HttpStatusCode.OK)}x503"));
            foreach (var r in results)
            {
                Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable,
                    $"retry of {r.Id} while {primary} was paused answered {(int)r.Status} {r.Body}");
                if (r.Status == HttpStatusCode.OK)
                {
                    Assert.Contains("\"deducted\"", r.Body, StringComparison.Ordinal);
                }
            }

            await cluster.WaitUntilWritableAsync(primary, Settle);
            await AssertSoldExactlyOnceAsync(client, orders, skus, initial, $"after pausing {primary} for {pauseMilliseconds} ms (retries: {answers})");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Cancel_after_redis_forgot_the_order_restocks_exactly_once(bool multiPartition)
    {
        await using var database = await TestDatabase.CreateAsync();
        var (cluster, server, lines) = await StartForgetfulAsync(database, multiPartition);
        await using var _ = cluster;
        await using var __ = server;
        using var client = server.CreateClient();
        var checker = new PersistenceChecker(cluster.Admin, cluster.Prefix, cluster.Partitioner.Count, database);
        var orderId = $"{cluster.Prefix}-cancel";

        var deducted = await ProtocolCalls.SettledAsync(() => client.DeductAsync(orderId, lines), Settle);
        Assert.Equal(HttpStatusCode.OK, deducted.Status);
        await AssertStockAsync(client, lines, 10 - 3, "after the deduction");
        await WaitUntilPersistedAsync(client, orderId);
        await cluster.WaitUntilForgottenAsync(orderId, lines.Select(l => l.Sku), Settle);

        var cancel = await ProtocolCalls.SettledAsync(() => client.CancelAsync(orderId), Settle);
        Assert.Equal(HttpStatusCode.OK, cancel.Status);
        await AssertStockAsync(client, lines, 10, "after the first cancel");

        for (var again = 2; again <= 3; again++)
        {
            // SQL has the cancel, then Redis forgets the order (and its cancel) once more.
            Assert.Empty(await checker.WaitUntilEqualAsync(Settle));
            await cluster.WaitUntilForgottenAsync(orderId, lines.Select(l => l.Sku), Settle);

            var repeat = await ProtocolCalls.SettledAsync(() => client.CancelAsync(orderId), Settle);
            await AssertStockAsync(client, lines, 10, $"after cancel #{again} (answered {(int)repeat.Status} {repeat.Body?.ToJsonString()})");
            Assert.Equal(HttpStatusCode.OK, repeat.Status);
            Assert.True(repeat.Response.Replayed(), $"cancel #{again} is not marked as a replay");
        }

        Assert.Equal("cancelled", await client.OrderStatusAsync(orderId));
    }

    /// <summary>
    /// A cancel interrupted after its claim said cancelled (process killed before the restocks) refreshes the claim's
    /// TTL, so the claim can outlive the records; the retried cancel must restock from SQL's ledger, once (found by
    /// the second protocol review: it used to answer 404 and leave the units sold).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancel_interrupted_before_its_restocks_restocks_once_after_the_records_expired(bool multiPartition)
    {
        await using var database = await TestDatabase.CreateAsync();
        var (cluster, server, lines) = await StartForgetfulAsync(database, multiPartition);
        await using var _ = cluster;
        await using var __ = server;
        using var client = server.CreateClient();
        var orderId = $"{cluster.Prefix}-halfcancel";

        var deducted = await ProtocolCalls.SettledAsync(() => client.DeductAsync(orderId, lines), Settle);
        Assert.Equal(HttpStatusCode.OK, deducted.Status);
        await WaitUntilPersistedAsync(client, orderId);

        // What cancel.lua leaves when the process dies right after it: the claim cancelled with a fresh TTL. Then
        // the records expire (deleted here rather than waited for, as the claim now outlives them).
        var db = cluster.Admin.GetDatabase();
        await db.HashSetAsync(cluster.ClaimKey(orderId), "st", "cancelled");
        await db.KeyExpireAsync(cluster.ClaimKey(orderId), TimeSpan.FromMinutes(10));
        foreach (var (sku, _) in lines)
        {
            await db.KeyDeleteAsync(cluster.RecordKey(cluster.Partitioner.PartitionOf(sku), orderId));
        }

        var cancel = await ProtocolCalls.SettledAsync(() => client.CancelAsync(orderId), Settle);
        await AssertStockAsync(client, lines, 10, $"after the retried cancel (answered {(int)cancel.Status} {cancel.Body?.ToJsonString()})");
        Assert.Equal(HttpStatusCode.OK, cancel.Status);

        var again = await ProtocolCalls.SettledAsync(() => client.CancelAsync(orderId), Settle);
        await AssertStockAsync(client, lines, 10, "after the cancel was repeated");
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.True(again.Response.Replayed(), "the repeated cancel is not marked as a replay");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Retried_deduction_after_redis_forgot_the_order_does_not_deduct_again(bool multiPartition)
    {
        await using var database = await TestDatabase.CreateAsync();
        var (cluster, server, lines) = await StartForgetfulAsync(database, multiPartition);
        await using var _ = cluster;
        await using var __ = server;
        using var client = server.CreateClient();
        var orderId = $"{cluster.Prefix}-retry";

        var deducted = await ProtocolCalls.SettledAsync(() => client.DeductAsync(orderId, lines), Settle);
        Assert.Equal(HttpStatusCode.OK, deducted.Status);
        await AssertStockAsync(client, lines, 7, "after the deduction");
        await WaitUntilPersistedAsync(client, orderId);
        await cluster.WaitUntilForgottenAsync(orderId, lines.Select(l => l.Sku), Settle);

        var retry = await ProtocolCalls.SettledAsync(() => client.DeductAsync(orderId, lines), Settle);
        await AssertStockAsync(client, lines, 7, $"after the retry (answered {(int)retry.Status} replayed={retry.Response.Replayed()})");
        Assert.Equal(HttpStatusCode.OK, retry.Status);
        Assert.True(retry.Response.Replayed(), "the retry is not marked as a replay");
        Assert.Equal("deducted", await client.OrderStatusAsync(orderId));

        var other = await ProtocolCalls.SettledAsync(() => client.DeductAsync(orderId, lines.Select(l => (l.Sku, l.Quantity + 1)).ToArray()), Settle);
        await AssertStockAsync(client, lines, 7, $"after other lines under the same id (answered {(int)other.Status})");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, other.Status);
        Assert.Equal("deducted", await client.OrderStatusAsync(orderId));
    }

    /// <summary>
    /// A server persisting to SQL whose Redis forgets orders after 6 s; stock 10 of each SKU. Lines: 3 units of one
    /// SKU, or (multi-partition) 3 units of each of two SKUs on different primaries.
    /// </summary>
    private static async Task<(ClusterControl Cluster, ServerProcess Server, (string Sku, long Quantity)[] Lines)> StartForgetfulAsync(TestDatabase database, bool multiPartition)
    {
        var prefix = TestEnvironment.UniquePrefix("xf");
        var cluster = await ClusterControl.ConnectAsync(prefix);
        var skus = cluster.SkusOnDistinctPrimaries($"{prefix}-s", multiPartition ? 2 : 1);
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__IdempotencyTtl"] = "00:00:06";
        var server = new ServerProcess(TestEnvironment.RedisCluster, prefix, settings);
        await server.StartAsync();
        foreach (var sku in skus)
        {
            await server.SetStockSettledAsync(sku, 10);
        }

        return (cluster, server, skus.Select(s => (s, 3L)).ToArray());
    }

    private static Task WaitUntilPersistedAsync(HttpClient client, string orderId) =>
        ClusterControl.Until(async () =>
        {
            var (status, body) = await client.GetJsonAsync($"api/deductions/{orderId}");
            return status == HttpStatusCode.OK && body!["persisted"]!.GetValue<bool>();
        }, Settle, $"order {orderId} did not reach SQL");

    private static async Task AssertStockAsync(HttpClient client, (string Sku, long Quantity)[] lines, long expected, string when)
    {
        foreach (var (sku, _) in lines)
        {
            Assert.True(await client.AvailableAsync(sku) == expected, $"{sku}: stock {await client.AvailableAsync(sku)}, expected {expected} {when}");
        }
    }

    private static async Task AssertSoldExactlyOnceAsync(HttpClient client, List<(string Id, string Sku, long Quantity)> orders, IReadOnlyList<string> skus, long initial, string when)
    {
        var statuses = new List<string>();
        foreach (var order in orders)
        {
            statuses.Add($"{order.Id}={await client.OrderStatusAsync(order.Id)}");
        }

        var stock = new List<string>();
        foreach (var sku in skus)
        {
            var expected = initial - orders.Where(o => o.Sku == sku).Sum(o => o.Quantity);
            var actual = await client.AvailableAsync(sku);
            if (actual != expected)
            {
                stock.Add($"{sku}: {actual} (expected {expected})");
            }
        }

        Assert.True(stock.Count == 0 && statuses.All(s => s.EndsWith("=deducted", StringComparison.Ordinal)),
            $"{when}: stock {string.Join(", ", stock)}; orders {string.Join(", ", statuses)}");

        foreach (var order in orders)
        {
            var again = await ProtocolCalls.SettledAsync(() => client.DeductAsync(order.Id, (order.Sku, order.Quantity)), Settle);
            Assert.True(again.Status == HttpStatusCode.OK && again.Response.Replayed(),
                $"{when}: retry of {order.Id} answered {(int)again.Status} replayed={again.Response.Replayed()} {again.Body?.ToJsonString()}");
        }
    }
}
