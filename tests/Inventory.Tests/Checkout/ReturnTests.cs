using System.Net;
using System.Text.Json.Nodes;
using Inventory.Domain;
using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Checkout;

/// <summary>POST /api/deductions/{orderId}/returns through HTTP, against every host and Redis flavour.</summary>
public abstract class ReturnTests(IApiHost server)
{
    [Fact]
    public async Task Returns_restock_part_of_an_order_once_and_a_cancel_restocks_only_the_rest()
    {
        var (a, b) = TwoPartitions("ret");
        await server.SetStockAsync(a, 10);
        await server.SetStockAsync(b, 10);
        using var client = server.CreateClient();
        var order = "o-" + a;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order(order, (a, 4), (b, 2)))).Status);

        var first = await client.PostAsync($"api/deductions/{order}/returns", Return("r1", (a, 1)));
        var replay = await client.PostAsync($"api/deductions/{order}/returns", Return("r1", (a, 1)));
        var otherLines = await client.PostAsync($"api/deductions/{order}/returns", Return("r1", (a, 2)));
        var tooMany = await client.PostAsync($"api/deductions/{order}/returns", Return("r2", (a, 4), (b, 1)));
        var notInOrder = await client.PostAsync($"api/deductions/{order}/returns", Return("r3", ("zz-" + a, 1)));
        var both = await client.PostAsync($"api/deductions/{order}/returns", Return("r4", (b, 2), (a, 1)));
        var get = await client.GetJsonAsync($"api/deductions/{order}");
        var cancel = await client.PostAsync($"api/deductions/{order}/cancel", new { });
        var afterCancel = await client.PostAsync($"api/deductions/{order}/returns", Return("r5", (a, 1)));
        var replayAfterCancel = await client.PostAsync($"api/deductions/{order}/returns", Return("r4", (b, 2), (a, 1)));

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal($$"""{"orderId":"{{order}}","returnId":"r1","lines":[{"sku":"{{a}}","quantity":1,"remaining":7}]}""", first.Body!.ToJsonString());
        Assert.False(first.Response.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(first.Body.ToJsonString(), replay.Body!.ToJsonString());
        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherLines.Status);
        Assert.NotNull(otherLines.Body!["errors"]!["returnId"]);
        Assert.Equal(HttpStatusCode.Conflict, tooMany.Status);
        Assert.Equal($$"""{"orderId":"{{order}}","returnId":"r2","status":"exceeds","lines":[{"sku":"{{a}}","requested":4,"returnable":3}]}""", tooMany.Body!.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, notInOrder.Status);
        Assert.Equal(0, notInOrder.Body!["lines"]![0]!["returnable"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.OK, both.Status);
        Assert.Equal([(b, 2L, 10L), (a, 1L, 8L)], Lines(both.Body));
        Assert.Equal("deducted", get.Body!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, cancel.Status);
        Assert.Equal([(a, 2L, 10L), (b, 0L, 10L)], Lines(cancel.Body));
        Assert.Equal(HttpStatusCode.Conflict, afterCancel.Status);
        Assert.Equal("cancelled", afterCancel.Body!["status"]!.GetValue<string>());
        Assert.Equal(both.Body!.ToJsonString(), replayAfterCancel.Body!.ToJsonString());
        Assert.Equal(10, await client.AvailableAsync(a));
        Assert.Equal(10, await client.AvailableAsync(b));
    }

    [Fact]
    public async Task Unknown_orders_and_bad_input_answer_problems_naming_the_field()
    {
        var sku = $"rb-{Guid.NewGuid():N}"[..16];
        await server.SetStockAsync(sku, 5);
        using var client = server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order("o-" + sku, (sku, 2)))).Status);

        var unknown = await client.PostAsync($"api/deductions/never-{sku}/returns", Return("r1", (sku, 1)));
        var noId = await client.PostAsync($"api/deductions/o-{sku}/returns", new { lines = new[] { new { sku, quantity = 1 } } });
        var zero = await client.PostAsync($"api/deductions/o-{sku}/returns", Return("r1", (sku, 0)));
        var longReason = await client.PostAsync($"api/deductions/o-{sku}/returns", new { returnId = "r1", lines = new[] { new { sku, quantity = 1 } }, reason = new string('x', 201) });
        var badOrder = await client.PostAsync("api/deductions/a%20b/returns", Return("r1", (sku, 1)));

        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("application/problem+json", unknown.Response.Content.Headers.ContentType!.MediaType);
        Assert.NotNull(noId.Body!["errors"]!["returnId"]);
        Assert.NotNull(zero.Body!["errors"]!["lines[0].quantity"]);
        Assert.NotNull(longReason.Body!["errors"]!["reason"]);
        Assert.NotNull(badOrder.Body!["errors"]!["orderId"]);
        Assert.Equal(3, await client.AvailableAsync(sku));
    }

    [Fact]
    public async Task Returns_and_cancels_racing_on_the_same_orders_restock_every_unit_exactly_once()
    {
        var (a, b) = TwoPartitions("race");
        const int orders = 40;
        await server.SetStockAsync(a, orders * 6);
        await server.SetStockAsync(b, orders * 6);
        using var client = server.CreateClient();
        await Task.WhenAll(Enumerable.Range(0, orders).Select(async i =>
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order($"{a}-{i}", (a, 6), (b, 6)))).Status)));
        Assert.Equal(0, await client.AvailableAsync(a));

        // Per order: four returns of 2+2 units (only three fit), each sent three times at once, and a cancel.
        var calls = Enumerable.Range(0, orders).SelectMany(i =>
            Enumerable.Range(0, 4).SelectMany(r => Enumerable.Repeat(($"{a}-{i}", $"r{r}"), 3))
                .Append(($"{a}-{i}", "cancel")))
            .OrderBy(_ => Random.Shared.Next()).ToList();
        var answers = await Task.WhenAll(calls.Select(c => Task.Run(async () =>
        {
            var (status, body, response) = c.Item2 == "cancel"
                ? await client.PostAsync($"api/deductions/{c.Item1}/cancel", new { })
                : await client.PostAsync($"api/deductions/{c.Item1}/returns", Return(c.Item2, (a, 2), (b, 2)));
            return (Call: c, Status: status, Body: body, Replayed: response.Headers.Contains("Idempotent-Replayed"));
        })));

        Assert.DoesNotContain(answers, x => x.Status is not (HttpStatusCode.OK or HttpStatusCode.Conflict));
        var returns = answers.Where(x => x.Call.Item2 != "cancel").ToList();
        foreach (var order in returns.GroupBy(x => x.Call.Item1))
        {
            var accepted = order.Where(x => x.Status == HttpStatusCode.OK).GroupBy(x => x.Call.Item2).ToList();
            Assert.True(accepted.Count <= 3, $"{order.Key}: {accepted.Count} returns of 2 accepted against 6 units");
            Assert.All(accepted, g => Assert.Single(g.Select(x => x.Body!.ToJsonString()).Distinct()));
            Assert.All(accepted, g => Assert.Single(g, x => !x.Replayed));
        }

        // Whatever interleaving won, every unit of every order is back exactly once: returns took part, the cancel the rest.
        Assert.Equal(orders * 6, await client.AvailableAsync(a));
        Assert.Equal(orders * 6, await client.AvailableAsync(b));
    }

    private static object Return(string returnId, params (string Sku, long Quantity)[] lines) =>
        new { returnId, lines = lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }).ToArray(), reason = "damaged" };

    private static List<(string, long, long)> Lines(JsonNode? body) =>
        body!["lines"]!.AsArray().Select(l => (l!["sku"]!.GetValue<string>(), l["quantity"]!.GetValue<long>(), l["remaining"]!.GetValue<long>())).ToList();

    /// <summary>Two fresh SKUs in distinct partitions of the default 16, so an order spans two Redis slots.</summary>
    public static (string A, string B) TwoPartitions(string stem)
    {
        var partitioner = new Partitioner(16);
        var a = $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 13)];
        for (var i = 0; ; i++)
        {
            var b = $"{a}-{i}";
            if (partitioner.PartitionOf(b) != partitioner.PartitionOf(a))
            {
                return (a, b);
            }
        }
    }
}

public sealed class StandaloneReturnTests(StandaloneServer fixture) : ReturnTests(fixture.Server), IClassFixture<StandaloneServer>;

public sealed class ClusterReturnTests(ClusterServer fixture) : ReturnTests(fixture.Server), IClassFixture<ClusterServer>;
