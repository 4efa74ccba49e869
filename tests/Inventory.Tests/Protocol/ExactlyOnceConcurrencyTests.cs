using System.Net;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Protocol;

/// <summary>
/// Exactly-once guards for racing requests under one order id on the 3-master cluster, over HTTP: every 200 stays
/// true (no later void or rollback), stock moves by exactly the orders that stand, and cancel restocks at most once.
/// </summary>
public class ExactlyOnceConcurrencyTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(40);

    /// <summary>
    /// The recovery sweep runs every second and rolls back multi-partition claims older than 6 s (three times the
    /// deadline), so "later" is reached within the test: an order answered 200 must survive it.
    /// </summary>
    private static Dictionary<string, string> QuickRecovery() => new()
    {
        ["Inventory__Redis__RecoverAfter"] = "00:00:06",
        ["Inventory__Workers__OrderRecoveryInterval"] = "00:00:01",
    };

    [Fact]
    public async Task Concurrent_attempts_at_one_multi_partition_order_count_every_200_exactly_once()
    {
        var prefix = TestEnvironment.UniquePrefix("xc");
        await using var cluster = await ClusterControl.ConnectAsync(prefix);
        var skus = cluster.SkusOnDistinctPrimaries($"{prefix}-s", 3);
        await using var server = new ServerProcess(TestEnvironment.RedisCluster, prefix, QuickRecovery());
        await server.StartAsync();
        using var client = server.CreateClient();

        for (var round = 0; round < 3; round++)
        {
            // Each round another SKU (so another primary) is the short one.
            var rotated = skus.Skip(round).Concat(skus.Take(round)).ToList();
            await RaceOnceAsync(cluster, server, client, rotated, $"{prefix}-m{round}", seed: round);
        }
    }

    private static async Task RaceOnceAsync(ClusterControl cluster, ServerProcess server, HttpClient client, IReadOnlyList<string> skus, string stem, int seed)
    {
        // The third SKU is short: about two thirds of the orders that need it can have it, so some attempts fail
        // on that partition after the others deducted, and must roll back only themselves.
        var initial = new Dictionary<string, long> { [skus[0]] = 10_000, [skus[1]] = 10_000, [skus[2]] = 70 };
        foreach (var (sku, available) in initial)
        {
            await server.SetStockSettledAsync(sku, available);
        }

        var random = new Random(seed);
        var orders = Enumerable.Range(0, 50).Select(i =>
        {
            var lines = (i % 3) switch
            {
                0 => new[] { (skus[0], 1L), (skus[1], 2L), (skus[2], 2L) },
                1 => new[] { (skus[0], 3L), (skus[2], 1L) },
                _ => new[] { (skus[0], 1L), (skus[1], 1L), (skus[2], 3L) },
            };
            return (Id: $"{stem}-{i}", Lines: lines, Attempts: 2 + random.Next(2));
        }).ToList();

        var answers = await Task.WhenAll(orders.Select(o => Task.WhenAll(Enumerable.Range(0, o.Attempts).Select(_ => Task.Run(() => client.DeductAsync(o.Id, o.Lines))))));
        for (var i = 0; i < orders.Count; i++)
        {
            foreach (var answer in answers[i])
            {
                Assert.True(answer.Status is HttpStatusCode.OK or HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable,
                    $"{orders[i].Id} answered {(int)answer.Status} {answer.Body?.ToJsonString()}");
            }
        }

        var answered200 = orders.Where((o, i) => answers[i].Any(a => a.Status == HttpStatusCode.OK)).Select(o => o.Id).ToHashSet();
        Assert.True(answered200.Count > 5, $"only {answered200.Count} orders answered 200");
        await SettleAsync(cluster, client, orders.Select(o => o.Id));
        await AssertStandingOrdersMatchStockAsync(client, initial, orders.Select(o => (o.Id, o.Lines)).ToList(), answered200, $"after race {stem}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancel_racing_deductions_of_the_same_id_restocks_at_most_once(bool multiPartition)
    {
        var prefix = TestEnvironment.UniquePrefix("xr");
        await using var cluster = await ClusterControl.ConnectAsync(prefix);
        var skus = cluster.SkusOnDistinctPrimaries($"{prefix}-s", 3);
        await using var server = new ServerProcess(TestEnvironment.RedisCluster, prefix, QuickRecovery());
        await server.StartAsync();
        using var client = server.CreateClient();
        var initial = skus.ToDictionary(s => s, _ => 10_000L);
        foreach (var (sku, available) in initial)
        {
            await server.SetStockSettledAsync(sku, available);
        }

        var orders = Enumerable.Range(0, 40).Select(i =>
        {
            var lines = multiPartition
                ? new[] { (skus[i % 3], 1L), (skus[(i + 1) % 3], 2L), (skus[(i + 2) % 3], 3L) }
                : new[] { (skus[i % 3], 1L + (i % 4)) };
            return (Id: $"{prefix}-r{i}", Lines: lines);
        }).ToList();

        // Per id: two deductions and one or two cancels, started together, the cancel first for half of them.
        var calls = await Task.WhenAll(orders.Select((o, i) =>
        {
            var requests = new List<(string Kind, Func<Task<(HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Body, HttpResponseMessage Response)>> Call)>
            {
                ("deduct", () => client.DeductAsync(o.Id, o.Lines)),
                ("deduct", () => client.DeductAsync(o.Id, o.Lines)),
                ("cancel", () => client.CancelAsync(o.Id)),
            };
            if (i % 2 == 0)
            {
                requests.Reverse();
                requests.Add(("cancel", () => client.CancelAsync(o.Id)));
            }

            return Task.WhenAll(requests.Select(r => Task.Run(async () => (r.Kind, Answer: await r.Call()))));
        }));

        for (var i = 0; i < orders.Count; i++)
        {
            var id = orders[i].Id;
            foreach (var (kind, answer) in calls[i])
            {
                var allowed = kind == "deduct"
                    ? answer.Status is HttpStatusCode.OK or HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable
                    : answer.Status is HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.ServiceUnavailable;
                Assert.True(allowed, $"{kind} of {id} answered {(int)answer.Status} {answer.Body?.ToJsonString()}");
            }

            var restocks = calls[i].Count(c => c.Kind == "cancel" && c.Answer.Status == HttpStatusCode.OK && !c.Answer.Response.Replayed());
            // Concurrent cancels of a multi-partition order may each restock a different partition first (each then
            // answers fresh); every unit still comes back once, which the stock check below counts.
            var partitions = orders[i].Lines.Select(l => cluster.Partitioner.PartitionOf(l.Item1)).Distinct().Count();
            Assert.True(restocks <= partitions, $"{id}: {restocks} cancels answered a fresh restock over {partitions} partitions");
        }

        await SettleAsync(cluster, client, orders.Select(o => o.Id));
        var cancelled = new List<string>();
        for (var i = 0; i < orders.Count; i++)
        {
            if (calls[i].Any(c => c.Kind == "cancel" && c.Answer.Status == HttpStatusCode.OK))
            {
                cancelled.Add(orders[i].Id);
            }
        }

        foreach (var id in cancelled)
        {
            var status = await client.OrderStatusAsync(id);
            Assert.True(status != "deducted", $"{id}: a cancel answered 200 (restocked) but GET says {status}");
        }

        // A deduction answered 200 may be undone here, by the racing cancel; the stock must still add up.
        await AssertStandingOrdersMatchStockAsync(client, initial, orders.Select(o => (o.Id, o.Lines)).ToList(), [], "after the race");

        // Cancelling everything once more leaves every SKU exactly at its initial stock: each order restocked once.
        foreach (var order in orders)
        {
            var again = await ProtocolCalls.SettledAsync(() => client.CancelAsync(order.Id), Settle);
            Assert.True(again.Status is HttpStatusCode.OK or HttpStatusCode.NotFound, $"final cancel of {order.Id} answered {(int)again.Status}");
        }

        foreach (var (sku, available) in initial)
        {
            Assert.Equal(available, await client.AvailableAsync(sku));
        }

        foreach (var order in orders)
        {
            var status = await client.OrderStatusAsync(order.Id);
            Assert.True(status is "cancelled" or "404", $"{order.Id}: GET says {status} after its cancel");
        }
    }

    /// <summary>Waits until no attempt is in flight or pending, so any rollback that would happen has happened.</summary>
    private static async Task SettleAsync(ClusterControl cluster, HttpClient client, IEnumerable<string> ids)
    {
        await cluster.WaitUntilNothingPendingAsync(Settle);
        foreach (var id in ids)
        {
            await ClusterControl.Until(async () => await client.OrderStatusAsync(id) != "pending", Settle, $"{id} still pending");
        }
    }

    /// <summary>
    /// Every order answered 200 stands (GET: deducted), and each SKU's stock is its initial stock minus exactly
    /// the units of the orders that stand.
    /// </summary>
    private static async Task AssertStandingOrdersMatchStockAsync(HttpClient client, Dictionary<string, long> initial,
        List<(string Id, (string Sku, long Quantity)[] Lines)> orders, HashSet<string> answered200, string when)
    {
        var standing = new List<(string Id, (string Sku, long Quantity)[] Lines)>();
        var voided = new List<string>();
        foreach (var order in orders)
        {
            var status = await client.OrderStatusAsync(order.Id);
            if (status == "deducted")
            {
                standing.Add(order);
            }
            else if (answered200.Contains(order.Id))
            {
                voided.Add($"{order.Id}={status}");
            }
        }

        var drift = new List<string>();
        foreach (var (sku, available) in initial)
        {
            var expected = available - standing.SelectMany(o => o.Lines).Where(l => l.Sku == sku).Sum(l => l.Quantity);
            var actual = await client.AvailableAsync(sku);
            if (actual != expected)
            {
                drift.Add($"{sku}: {actual}, expected {expected}");
            }
        }

        Assert.True(voided.Count == 0 && drift.Count == 0,
            $"{when}: answered 200 but not deducted: [{string.Join(", ", voided)}]; stock: [{string.Join(", ", drift)}]; {standing.Count} orders stand");
    }
}
