using System.Net;
using System.Text.Json.Nodes;
using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Checkout;

/// <summary>limitPerCustomer on stock and customerId on deductions, through HTTP, against every Redis flavour.</summary>
public abstract class CustomerLimitTests(IApiHost server)
{
    [Fact]
    public async Task A_limit_is_set_shown_and_cleared_and_bad_values_answer_problems_naming_the_field()
    {
        var sku = Sku("lim-set");
        using var admin = server.CreateClient(ServerProcess.AdminKey);
        using var client = server.CreateClient();

        var set = await PutAsync(admin, sku, new { available = 10, limitPerCustomer = 2 });
        var shown = await client.GetJsonAsync($"api/stock/{sku}");
        var listed = await client.GetJsonAsync($"api/stock?skus={sku}");
        var sameAgain = await PutAsync(admin, sku, new { available = 10, limitPerCustomer = 2 });
        var cleared = await PutAsync(admin, sku, new { available = 10, limitPerCustomer = (long?)null });
        var afterClear = await client.GetJsonAsync($"api/stock/{sku}");
        var limitOnly = await PutAsync(admin, sku, new { available = 10, limitPerCustomer = 3 });
        var absent = await PutAsync(admin, sku, new { available = 10 });

        Assert.Equal(HttpStatusCode.OK, set.Status);
        Assert.Equal($$"""{"sku":"{{sku}}","available":10,"limitPerCustomer":2}""", set.Body!.ToJsonString());
        // GET adds what reservations hold now; the rest is the PUT's answer
        Assert.Equal($$"""{"sku":"{{sku}}","available":10,"reserved":0,"limitPerCustomer":2}""", shown.Body!.ToJsonString());
        Assert.Equal(2, listed.Body!["items"]![0]!["limitPerCustomer"]!.GetValue<long>());
        Assert.Equal(set.Body.ToJsonString(), sameAgain.Body!.ToJsonString());
        Assert.Equal($$"""{"sku":"{{sku}}","available":10}""", cleared.Body!.ToJsonString());
        Assert.Equal($$"""{"sku":"{{sku}}","available":10,"reserved":0}""", afterClear.Body!.ToJsonString());
        Assert.Equal(3, limitOnly.Body!["limitPerCustomer"]!.GetValue<long>());
        Assert.Null(absent.Body!["limitPerCustomer"]);
        Assert.Null((await client.GetJsonAsync($"api/stock/{sku}")).Body!["limitPerCustomer"]);

        foreach (var bad in new JsonNode?[] { 0, -1, 1.5, "2", true, new JsonObject() })
        {
            var body = new JsonObject { ["available"] = 10, ["limitPerCustomer"] = bad?.DeepClone() };
            var refused = await admin.PutAsync($"api/stock/{sku}", HttpCalls.Raw(body.ToJsonString()));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
            Assert.NotNull(JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["errors"]!["limitPerCustomer"]);
        }

        foreach (var bad in new JsonNode?[] { "a b", "", new string('c', 65), "...", 7, new JsonArray() })
        {
            var body = new JsonObject { ["orderId"] = "o-" + sku, ["customerId"] = bad?.DeepClone(), ["lines"] = new JsonArray(new JsonObject { ["sku"] = sku, ["quantity"] = 1 }) };
            var refused = await client.PostAsync("api/deductions", HttpCalls.Raw(body.ToJsonString()));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.NotNull(JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["errors"]!["customerId"]);
        }

        Assert.Equal(10, await client.AvailableAsync(sku));
    }

    [Fact]
    public async Task Fifty_parallel_orders_of_one_customer_against_a_limit_of_two_take_exactly_two_units()
    {
        var sku = Sku("lim-race");
        await SetAsync(sku, 100, limit: 2);
        using var client = server.CreateClient();
        var customer = "c-" + sku;

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() =>
            client.PostAsync("api/deductions", Order($"{sku}-{i}", customer, (sku, 1))))));

        var accepted = answers.Where(a => a.Status == HttpStatusCode.OK).ToList();
        var refused = answers.Where(a => a.Status == HttpStatusCode.Conflict).ToList();
        Assert.Equal(2, accepted.Count);
        Assert.Equal(48, refused.Count);
        Assert.All(refused, r => Assert.Equal(
            $$"""{"orderId":"{{r.Body!["orderId"]!.GetValue<string>()}}","status":"limit_exceeded","lines":[{"sku":"{{sku}}","limit":2,"alreadyTaken":2,"requested":1}]}""",
            r.Body!.ToJsonString()));
        Assert.Equal(98, await client.AvailableAsync(sku));

        // Another customer has an allowance of its own; an order without a customer meets no limit.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", Order($"{sku}-other", "d-" + sku, (sku, 2)))).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("api/deductions", Order($"{sku}-other2", "d-" + sku, (sku, 1)))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", HttpCalls.Order($"{sku}-anon", (sku, 5)))).Status);
        Assert.Equal(91, await client.AvailableAsync(sku));
    }

    [Fact]
    public async Task A_cancel_and_a_return_give_the_allowance_back()
    {
        var sku = Sku("lim-back");
        await SetAsync(sku, 100, limit: 3);
        using var client = server.CreateClient();
        var customer = "c-" + sku;

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", Order($"{sku}-1", customer, (sku, 3)))).Status);
        var over = await client.PostAsync("api/deductions", Order($"{sku}-2", customer, (sku, 1)));
        Assert.Equal(HttpStatusCode.Conflict, over.Status);
        Assert.Equal(3, over.Body!["lines"]![0]!["alreadyTaken"]!.GetValue<long>());

        // A return of 2 gives 2 back: 2 more fit, a third does not.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{sku}-1/returns",
            new { returnId = "r1", lines = new[] { new { sku, quantity = 2 } } })).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("api/deductions", Order($"{sku}-3", customer, (sku, 3)))).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", Order($"{sku}-4", customer, (sku, 2)))).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("api/deductions", Order($"{sku}-5", customer, (sku, 1)))).Status);

        // Cancelling the first order gives back what its return left (1), cancelling the second its 2.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{sku}-1/cancel", new { })).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{sku}-4/cancel", new { })).Status);
        var full = await client.PostAsync("api/deductions", Order($"{sku}-6", customer, (sku, 3)));
        Assert.True(full.Status == HttpStatusCode.OK, full.Body?.ToJsonString());
        Assert.Equal(97, await client.AvailableAsync(sku));
    }

    [Fact]
    public async Task A_multi_partition_order_over_the_limit_in_one_partition_takes_nothing_anywhere()
    {
        var (a, b) = ReturnTests.TwoPartitions("lim-multi");
        await SetAsync(a, 50, limit: 1);
        await SetAsync(b, 50, limit: 5);
        using var client = server.CreateClient();
        var customer = "c-" + a;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/deductions", Order($"{a}-1", customer, (a, 1)))).Status);

        var refused = await client.PostAsync("api/deductions", Order($"{a}-2", customer, (b, 4), (a, 1)));
        var sameIdOtherLines = await client.PostAsync("api/deductions", Order($"{a}-2", customer, (b, 5)));

        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal($$"""{"orderId":"{{a}}-2","status":"limit_exceeded","lines":[{"sku":"{{a}}","limit":1,"alreadyTaken":1,"requested":1}]}""", refused.Body!.ToJsonString());
        Assert.Equal(49, await client.AvailableAsync(a));
        // b's partition gave back whatever it took: the refused id deducts its new lines, and b's allowance is whole (5).
        Assert.Equal(HttpStatusCode.OK, sameIdOtherLines.Status);
        Assert.Equal(45, await client.AvailableAsync(b));
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("api/deductions", Order($"{a}-3", customer, (b, 1)))).Status);
    }

    [Fact]
    public async Task A_replay_answers_the_original_and_the_same_id_with_another_customer_is_other_lines()
    {
        var (a, b) = ReturnTests.TwoPartitions("lim-id");
        await SetAsync(a, 20, limit: 2);
        await SetAsync(b, 20, limit: 2);
        using var client = server.CreateClient();
        var customer = "c-" + a;

        foreach (var (order, real) in new[] { ($"{a}-single", new[] { (a, 1L) }), ($"{a}-multi", new[] { (a, 1L), (b, 2L) }) })
        {
            var first = await client.PostAsync("api/deductions", Order(order, customer, real));
            var replay = await client.PostAsync("api/deductions", Order(order, customer, real));
            var otherCustomer = await client.PostAsync("api/deductions", Order(order, "d-" + a, real));
            var noCustomer = await client.PostAsync("api/deductions", HttpCalls.Order(order, real));

            Assert.Equal(HttpStatusCode.OK, first.Status);
            Assert.Equal(HttpStatusCode.OK, replay.Status);
            Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal(first.Body!.ToJsonString(), replay.Body!.ToJsonString());
            Assert.Equal(HttpStatusCode.UnprocessableEntity, otherCustomer.Status);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, noCustomer.Status);
        }

        Assert.Equal(18, await client.AvailableAsync(a));
        Assert.Equal(18, await client.AvailableAsync(b));
    }

    [Fact]
    public async Task The_batch_route_applies_limits_per_customer()
    {
        var sku = Sku("lim-batch");
        await SetAsync(sku, 100, limit: 2);
        using var client = server.CreateClient();
        var deductions = Enumerable.Range(0, 6).Select(i => new
        {
            orderId = $"{sku}-{i}",
            customerId = i % 2 == 0 ? "c-" + sku : "d-" + sku,
            lines = new[] { new { sku, quantity = 1 } },
        }).ToArray();

        var batch = await client.PostAsync("api/deductions/batch", new { deductions });

        Assert.Equal(HttpStatusCode.OK, batch.Status);
        var statuses = batch.Body!["results"]!.AsArray().Select(r => r!["status"]!.GetValue<int>()).ToList();
        Assert.Equal(4, statuses.Count(s => s == 200));
        Assert.Equal(2, statuses.Count(s => s == 409));
        Assert.All(batch.Body["results"]!.AsArray().Where(r => r!["status"]!.GetValue<int>() == 409),
            r => Assert.Equal("limit_exceeded", r!["body"]!["status"]!.GetValue<string>()));
        Assert.Equal(96, await client.AvailableAsync(sku));
    }

    private async Task SetAsync(string sku, long available, long limit)
    {
        using var admin = server.CreateClient(ServerProcess.AdminKey);
        var answer = await PutAsync(admin, sku, new { available, limitPerCustomer = limit });
        Assert.True(answer.Status == HttpStatusCode.OK, answer.Body?.ToJsonString());
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> PutAsync(HttpClient admin, string sku, object body)
    {
        var response = await admin.PutAsync($"api/stock/{sku}", HttpCalls.Json(body));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public static object Order(string orderId, string customerId, params (string Sku, long Quantity)[] lines) =>
        new { orderId, customerId, lines = lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }).ToArray() };

    private static string Sku(string stem) => $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 13)];
}

public sealed class StandaloneCustomerLimitTests(StandaloneServer fixture) : CustomerLimitTests(fixture.Server), IClassFixture<StandaloneServer>;

public sealed class ClusterCustomerLimitTests(ClusterServer fixture) : CustomerLimitTests(fixture.Server), IClassFixture<ClusterServer>;
