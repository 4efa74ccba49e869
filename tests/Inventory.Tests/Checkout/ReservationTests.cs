using System.Net;
using System.Text.Json.Nodes;
using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Checkout;

/// <summary>The reservation routes through HTTP, against every host and Redis flavour (docs/holds.md).</summary>
public abstract class ReservationTests(IApiHost server)
{
    [Fact]
    public async Task A_hold_takes_units_off_sale_and_its_commit_is_an_ordinary_order_that_cancels_once()
    {
        var (a, b) = ReturnTests.TwoPartitions("hold");
        await server.SetStockAsync(a, 10);
        await server.SetStockAsync(b, 5);
        using var client = server.CreateClient();
        var id = "h-" + a;

        var hold = await client.PostAsync("api/reservations", Hold(id, 600, (a, 3), (b, 2)));
        var replay = await client.PostAsync("api/reservations", Hold(id, 600, (b, 2), (a, 3)));
        var otherLines = await client.PostAsync("api/reservations", Hold(id, 600, (a, 4)));
        var stock = await client.GetJsonAsync($"api/stock/{a}");
        var held = await client.GetJsonAsync($"api/reservations/{id}");
        var tooMuch = await client.PostAsync("api/deductions", HttpCalls.Order("o-too-much-" + a, (a, 8)));

        Assert.Equal(HttpStatusCode.OK, hold.Status);
        Assert.Equal("held", hold.Body!["status"]!.GetValue<string>());
        Assert.Equal([(a, 3L, 7L), (b, 2L, 3L)], Lines(hold.Body));
        var expiresAt = hold.Body["expiresAt"]!.GetValue<string>();
        Assert.EndsWith("Z", expiresAt);
        Assert.InRange(DateTimeOffset.Parse(expiresAt, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(590), TimeSpan.FromSeconds(610));
        Assert.False(hold.Response.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(hold.Body.ToJsonString(), replay.Body!.ToJsonString());
        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, otherLines.Status);
        Assert.NotNull(otherLines.Body!["errors"]!["reservationId"]);
        Assert.Equal($$"""{"sku":"{{a}}","available":7,"reserved":3}""", stock.Body!.ToJsonString());
        Assert.Equal($$"""{"reservationId":"{{id}}","status":"held","expiresAt":"{{expiresAt}}","lines":[{"sku":"{{a}}","quantity":3},{"sku":"{{b}}","quantity":2}]}""", held.Body!.ToJsonString());
        Assert.Equal(HttpStatusCode.Conflict, tooMuch.Status);

        var order = "o-" + id;
        var commit = await client.PostAsync($"api/reservations/{id}/commit", new { orderId = order });
        var commitReplay = await client.PostAsync($"api/reservations/{id}/commit", new { orderId = order });
        var otherOrder = await client.PostAsync($"api/reservations/{id}/commit", new { orderId = order + "-2" });
        var release = await client.PostAsync($"api/reservations/{id}/release", new { });
        var afterCommit = await client.GetJsonAsync($"api/reservations/{id}");
        var asOrder = await client.GetJsonAsync($"api/deductions/{order}");
        var deductReplay = await client.PostAsync("api/deductions", HttpCalls.Order(order, (a, 3), (b, 2)));
        var stockAfter = await client.GetJsonAsync($"api/stock/{a}");

        Assert.Equal(HttpStatusCode.OK, commit.Status);
        Assert.Equal($$"""{"orderId":"{{order}}","status":"deducted","lines":[{"sku":"{{a}}","quantity":3,"remaining":7},{"sku":"{{b}}","quantity":2,"remaining":3}]}""", commit.Body!.ToJsonString());
        Assert.Equal(commit.Body.ToJsonString(), commitReplay.Body!.ToJsonString());
        Assert.Equal("true", commitReplay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.Conflict, otherOrder.Status);
        Assert.Equal("conflict", otherOrder.Body!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, release.Status);
        Assert.Equal("committed", release.Body!["status"]!.GetValue<string>());
        Assert.Equal("committed", afterCommit.Body!["status"]!.GetValue<string>());
        Assert.Equal(order, afterCommit.Body["orderId"]!.GetValue<string>());
        Assert.Equal("deducted", asOrder.Body!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, deductReplay.Status);
        Assert.Equal("true", deductReplay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal($$"""{"sku":"{{a}}","available":7,"reserved":0}""", stockAfter.Body!.ToJsonString());

        var returned = await client.PostAsync($"api/deductions/{order}/returns", new { returnId = "r1", lines = new[] { new { sku = a, quantity = 1 } } });
        var cancels = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.PostAsync($"api/deductions/{order}/cancel", new { })));
        Assert.Equal(HttpStatusCode.OK, returned.Status);
        Assert.All(cancels, c => Assert.Equal(HttpStatusCode.OK, c.Status));
        Assert.Equal(10, await client.AvailableAsync(a));
        Assert.Equal(5, await client.AvailableAsync(b));
    }

    [Fact]
    public async Task A_release_gives_the_units_back_once_and_shuts_out_a_commit()
    {
        var sku = $"rel-{Guid.NewGuid():N}"[..18];
        await server.SetStockAsync(sku, 4);
        using var client = server.CreateClient();
        var id = "h-" + sku;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", Hold(id, 60, (sku, 3)))).Status);

        var release = await client.PostAsync($"api/reservations/{id}/release", new { });
        var replay = await client.PostAsync($"api/reservations/{id}/release", new { });
        var commit = await client.PostAsync($"api/reservations/{id}/commit", new { orderId = "o-" + id });
        var view = await client.GetJsonAsync($"api/reservations/{id}");
        var holdAgain = await client.PostAsync("api/reservations", Hold(id, 60, (sku, 3)));

        Assert.Equal(HttpStatusCode.OK, release.Status);
        Assert.Equal($$"""{"reservationId":"{{id}}","status":"released","lines":[{"sku":"{{sku}}","quantity":3,"remaining":4}]}""", release.Body!.ToJsonString());
        Assert.Equal(release.Body.ToJsonString(), replay.Body!.ToJsonString());
        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.Conflict, commit.Status);
        Assert.Equal("released", commit.Body!["status"]!.GetValue<string>());
        Assert.Equal("released", view.Body!["status"]!.GetValue<string>());
        Assert.Equal("held", holdAgain.Body!["status"]!.GetValue<string>());
        Assert.Equal("true", holdAgain.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(4, await client.AvailableAsync(sku));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"api/deductions/o-{id}")).StatusCode);
    }

    [Fact]
    public async Task A_commit_under_a_cancelled_order_id_answers_conflict_and_leaves_the_hold_releasable()
    {
        var sku = $"cxl-{Guid.NewGuid():N}"[..18];
        await server.SetStockAsync(sku, 5);
        using var client = server.CreateClient();
        var id = "h-" + sku;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", Hold(id, 600, (sku, 2)))).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"api/deductions/o-{id}/cancel", new { })).Status);

        var commit = await client.PostAsync($"api/reservations/{id}/commit", new { orderId = "o-" + id });
        var view = await client.GetJsonAsync($"api/reservations/{id}");
        var other = await client.PostAsync($"api/reservations/{id}/commit", new { orderId = "o2-" + id });

        Assert.Equal(HttpStatusCode.Conflict, commit.Status);
        Assert.Equal("conflict", commit.Body!["status"]!.GetValue<string>());
        Assert.Equal("held", view.Body!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, other.Status);
        Assert.Equal(3, await client.AvailableAsync(sku));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/o2-{id}/cancel", new { })).Status);
        Assert.Equal(5, await client.AvailableAsync(sku));
    }

    [Fact]
    public async Task Refusals_hold_nothing_and_bad_input_names_the_field()
    {
        var (a, b) = ReturnTests.TwoPartitions("hrf");
        await server.SetStockAsync(a, 5);
        await server.SetStockAsync(b, 1);
        using var client = server.CreateClient();

        var shortOne = await client.PostAsync("api/reservations", Hold("short-" + a, 60, (a, 2), (b, 2)));
        var unknownSku = await client.PostAsync("api/reservations", Hold("unk-" + a, 60, (a, 1), ("never-" + a, 1)));
        var retried = await client.PostAsync("api/reservations", Hold("short-" + a, 60, (a, 2), (b, 2)));
        var fits = await client.PostAsync("api/reservations", Hold("short-" + a, 60, (a, 2), (b, 1)));
        var ttlLow = await client.PostAsync("api/reservations", Hold("x-" + a, 29, (a, 1)));
        var ttlHigh = await client.PostAsync("api/reservations", Hold("x-" + a, 3601, (a, 1)));
        var noLines = await client.PostAsync("api/reservations", new { reservationId = "x-" + a });
        var badCustomer = await client.PostAsync("api/reservations", new { reservationId = "x-" + a, lines = new[] { new { sku = a, quantity = 1 } }, customerId = "a b" });
        var badId = await client.GetJsonAsync("api/reservations/a%20b");
        var unknownGet = await client.GetJsonAsync("api/reservations/never-" + a);
        var unknownCommit = await client.PostAsync("api/reservations/never-" + a + "/commit", new { orderId = "o1" });
        var noOrder = await client.PostAsync($"api/reservations/short-{a}/commit", new { });
        var unknownRelease = await client.PostAsync("api/reservations/never-" + a + "/release", new { });

        Assert.Equal(HttpStatusCode.Conflict, shortOne.Status);
        Assert.Equal("insufficient", shortOne.Body!["status"]!.GetValue<string>());
        Assert.Contains(shortOne.Body["lines"]!.AsArray(), l => l!["sku"]!.GetValue<string>() == b && l["requested"]!.GetValue<long>() == 2 && l["available"]!.GetValue<long>() == 1);
        Assert.Equal(HttpStatusCode.NotFound, unknownSku.Status);
        Assert.Equal(HttpStatusCode.Conflict, retried.Status);
        Assert.Equal(HttpStatusCode.OK, fits.Status);
        Assert.False(fits.Response.Headers.Contains("Idempotent-Replayed"));
        Assert.NotNull(ttlLow.Body!["errors"]!["ttlSeconds"]);
        Assert.NotNull(ttlHigh.Body!["errors"]!["ttlSeconds"]);
        Assert.NotNull(noLines.Body!["errors"]!["lines"]);
        Assert.NotNull(badCustomer.Body!["errors"]!["customerId"]);
        Assert.NotNull(badId.Body!["errors"]!["reservationId"]);
        Assert.Equal(HttpStatusCode.NotFound, unknownGet.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknownCommit.Status);
        Assert.NotNull(noOrder.Body!["errors"]!["orderId"]);
        Assert.Equal(HttpStatusCode.NotFound, unknownRelease.Status);
        Assert.Equal(3, await client.AvailableAsync(a));
        Assert.Equal(0, await client.AvailableAsync(b));
    }

    [Fact]
    public async Task Five_hundred_parallel_holds_against_a_hundred_units_hold_exactly_a_hundred()
    {
        var sku = $"flash-{Guid.NewGuid():N}"[..20];
        await server.SetStockAsync(sku, 100);
        using var client = server.CreateClient();

        var answers = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => Task.Run(() => client.PostAsync("api/reservations", Hold($"{sku}-{i}", 600, (sku, 1))))));

        Assert.DoesNotContain(answers, x => x.Status is not (HttpStatusCode.OK or HttpStatusCode.Conflict));
        Assert.Equal(100, answers.Count(x => x.Status == HttpStatusCode.OK));
        Assert.All(answers.Where(x => x.Status == HttpStatusCode.OK), x => Assert.InRange(x.Body!["lines"]![0]!["remaining"]!.GetValue<long>(), 0, 99));
        var stock = await client.GetJsonAsync($"api/stock/{sku}");
        Assert.Equal(0, stock.Body!["available"]!.GetValue<long>());
        Assert.Equal(100, stock.Body["reserved"]!.GetValue<long>());
    }

    [Fact]
    public async Task Parallel_releases_give_each_unit_back_exactly_once()
    {
        var (a, b) = ReturnTests.TwoPartitions("prl");
        const int holds = 30;
        await server.SetStockAsync(a, holds * 2);
        await server.SetStockAsync(b, holds);
        using var client = server.CreateClient();
        await Task.WhenAll(Enumerable.Range(0, holds).Select(async i =>
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", Hold($"{a}-{i}", 600, (a, 2), (b, 1)))).Status)));
        Assert.Equal(0, await client.AvailableAsync(a));

        var calls = Enumerable.Range(0, holds).SelectMany(i => Enumerable.Repeat($"{a}-{i}", 5)).OrderBy(_ => Random.Shared.Next()).ToList();
        var answers = await Task.WhenAll(calls.Select(id => Task.Run(async () =>
        {
            var (status, body, response) = await client.PostAsync($"api/reservations/{id}/release", new { });
            return (Id: id, Status: status, Body: body, Replayed: response.Headers.Contains("Idempotent-Replayed"));
        })));

        Assert.All(answers, x => Assert.Equal(HttpStatusCode.OK, x.Status));
        foreach (var reservation in answers.GroupBy(x => x.Id))
        {
            Assert.Single(reservation, x => !x.Replayed);
            Assert.All(reservation, x => Assert.Equal([(a, 2L), (b, 1L)], x.Body!["lines"]!.AsArray().Select(l => (l!["sku"]!.GetValue<string>(), l["quantity"]!.GetValue<long>()))));
        }

        var stock = await client.GetJsonAsync($"api/stock/{a}");
        Assert.Equal(holds * 2, stock.Body!["available"]!.GetValue<long>());
        Assert.Equal(0, stock.Body["reserved"]!.GetValue<long>());
        Assert.Equal(holds, await client.AvailableAsync(b));
    }

    public static object Hold(string reservationId, int ttlSeconds, params (string Sku, long Quantity)[] lines) =>
        new { reservationId, lines = lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }).ToArray(), ttlSeconds };

    private static List<(string, long, long)> Lines(JsonNode? body) =>
        body!["lines"]!.AsArray().Select(l => (l!["sku"]!.GetValue<string>(), l["quantity"]!.GetValue<long>(), l["remaining"]!.GetValue<long>())).ToList();
}

public sealed class StandaloneReservationTests(StandaloneServer fixture) : ReservationTests(fixture.Server), IClassFixture<StandaloneServer>;

public sealed class ClusterReservationTests(ClusterServer fixture) : ReservationTests(fixture.Server), IClassFixture<ClusterServer>;
