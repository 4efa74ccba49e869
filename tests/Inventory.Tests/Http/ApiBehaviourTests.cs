using System.Net;
using System.Text.Json.Nodes;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Http;

/// <summary>The HTTP contract, run against every host of the API (see the subclasses).</summary>
public abstract class ApiBehaviourTests(IApiHost server)
{
    private readonly IApiHost _server = server;

    [Fact]
    public async Task Deduction_replay_conflict_get_and_cancel_through_http()
    {
        var sku = Sku("flow");
        await _server.SetStockAsync(sku, 10);
        using var client = _server.CreateClient();

        var first = await client.PostAsync("api/deductions", HttpCalls.Order("A100-" + sku, (sku, 2)));
        var replay = await client.PostAsync("api/deductions", HttpCalls.Order("A100-" + sku, (sku, 2)));
        var conflict = await client.PostAsync("api/deductions", HttpCalls.Order("A100-" + sku, (sku, 3)));
        var get = await client.GetJsonAsync($"api/deductions/A100-{sku}");
        var cancel = await client.PostAsync($"api/deductions/A100-{sku}/cancel", new { });
        var cancelAgain = await client.PostAsync($"api/deductions/A100-{sku}/cancel", new { });
        var afterCancel = await client.PostAsync("api/deductions", HttpCalls.Order("A100-" + sku, (sku, 2)));

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal($$"""{"orderId":"A100-{{sku}}","status":"deducted","lines":[{"sku":"{{sku}}","quantity":2,"remaining":8}]}""", first.Body!.ToJsonString());
        Assert.False(first.Response.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(first.Body.ToJsonString(), replay.Body!.ToJsonString());
        Assert.Equal("true", replay.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, conflict.Status);
        Assert.Equal("application/problem+json", conflict.Response.Content.Headers.ContentType!.MediaType);
        Assert.NotNull(conflict.Body!["errors"]!["orderId"]);
        Assert.Equal("deducted", get.Body!["status"]!.GetValue<string>());
        Assert.False(get.Body["persisted"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, cancel.Status);
        Assert.Equal(10, cancel.Body!["lines"]![0]!["remaining"]!.GetValue<long>());
        Assert.Equal(cancel.Body.ToJsonString(), cancelAgain.Body!.ToJsonString());
        Assert.Equal("true", cancelAgain.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.Conflict, afterCancel.Status);
        Assert.Equal("cancelled", afterCancel.Body!["status"]!.GetValue<string>());
        Assert.Equal(10, await client.AvailableAsync(sku));
    }

    [Fact]
    public async Task Unknown_ids_and_skus_answer_404_problems()
    {
        using var client = _server.CreateClient();

        var order = await client.GetJsonAsync("api/deductions/never-" + Sku("x"));
        var cancel = await client.PostAsync("api/deductions/never-" + Sku("y") + "/cancel", new { });
        var stock = await client.GetJsonAsync("api/stock/never-" + Sku("z"));
        var deduct = await client.PostAsync("api/deductions", HttpCalls.Order("o-" + Sku("w"), ("never-" + Sku("v"), 1)));

        Assert.Equal(HttpStatusCode.NotFound, order.Status);
        Assert.Equal(HttpStatusCode.NotFound, cancel.Status);
        Assert.Equal(HttpStatusCode.NotFound, stock.Status);
        Assert.Equal(HttpStatusCode.NotFound, deduct.Status);
        Assert.Equal(404, deduct.Body!["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Stock_routes_set_list_compare_and_adjust()
    {
        var a = Sku("sa");
        var b = Sku("sb");
        using var client = _server.CreateClient();
        using var admin = _server.CreateClient(ServerProcess.AdminKey);

        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync($"api/stock/{a}", HttpCalls.Json(new { available = 90 }))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PutAsync($"api/stock/{a}", HttpCalls.Json(new { available = 100, expectedAvailable = 80 }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync($"api/stock/{a}", HttpCalls.Json(new { available = 100, expectedAvailable = 90 }))).StatusCode);
        var adjust = await admin.PostAsync($"api/stock/{a}/adjustments", new { adjustmentId = "r1", delta = 50, reason = "restock" });
        var adjustAgain = await admin.PostAsync($"api/stock/{a}/adjustments", new { adjustmentId = "r1", delta = 50, reason = "restock" });
        var belowZero = await admin.PostAsync($"api/stock/{a}/adjustments", new { adjustmentId = "r2", delta = -151, reason = "damaged" });
        var list = await client.GetJsonAsync($"api/stock?skus={a},{b}");

        Assert.Equal(150, adjust.Body!["available"]!.GetValue<long>());
        Assert.Equal("true", adjustAgain.Response.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(HttpStatusCode.Conflict, belowZero.Status);
        Assert.Equal($$"""{"items":[{"sku":"{{a}}","available":150}],"unknown":["{{b}}"]}""", list.Body!.ToJsonString());
    }

    [Fact]
    public async Task Keys_guard_every_route_but_health()
    {
        var sku = Sku("k");
        await _server.SetStockAsync(sku, 5);
        using var anonymous = _server.CreateClient(null);
        using var wrong = _server.CreateClient("wrong-key");
        using var function = _server.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("api/health")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order("k1", (sku, 1))))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync($"api/stock/{sku}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await function.PutAsync($"api/stock/{sku}", HttpCalls.Json(new { available = 1 }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"api/stock/{sku}?code={ServerProcess.FunctionKey}")).StatusCode);
        Assert.Equal(5, await function.AvailableAsync(sku));
    }

    public static TheoryData<string, string, string, int, string> BadInputs => new()
    {
        { "not json", "{", "application/json", 400, "$" },
        { "array body", "[]", "application/json", 400, "$" },
        { "wrong content type", """{"orderId":"a","lines":[{"sku":"SKU","quantity":1}]}""", "text/plain", 415, "" },
        { "missing order id", """{"lines":[{"sku":"SKU","quantity":1}]}""", "application/json", 400, "orderId" },
        { "numeric order id", """{"orderId":5,"lines":[{"sku":"SKU","quantity":1}]}""", "application/json", 400, "orderId" },
        { "order id with space", """{"orderId":"a b","lines":[{"sku":"SKU","quantity":1}]}""", "application/json", 400, "orderId" },
        { "order id only dots", """{"orderId":"..","lines":[{"sku":"SKU","quantity":1}]}""", "application/json", 400, "orderId" },
        { "order id too long", $$"""{"orderId":"{{new string('a', 65)}}","lines":[{"sku":"SKU","quantity":1}]}""", "application/json", 400, "orderId" },
        { "order id with control char", """{"orderId":"a\u0001","lines":[{"sku":"SKU","quantity":1}]}""", "application/json", 400, "orderId" },
        { "no lines", """{"orderId":"a","lines":[]}""", "application/json", 400, "lines" },
        { "lines not array", """{"orderId":"a","lines":{}}""", "application/json", 400, "lines" },
        { "101 lines", $$"""{"orderId":"a","lines":[{{string.Join(',', Enumerable.Repeat("""{"sku":"SKU","quantity":1}""", 101))}}]}""", "application/json", 400, "lines" },
        { "zero quantity", """{"orderId":"a","lines":[{"sku":"SKU","quantity":0}]}""", "application/json", 400, "lines[0].quantity" },
        { "negative quantity", """{"orderId":"a","lines":[{"sku":"SKU","quantity":-1}]}""", "application/json", 400, "lines[0].quantity" },
        { "fractional quantity", """{"orderId":"a","lines":[{"sku":"SKU","quantity":1.5}]}""", "application/json", 400, "lines[0].quantity" },
        { "string quantity", """{"orderId":"a","lines":[{"sku":"SKU","quantity":"1"}]}""", "application/json", 400, "lines[0].quantity" },
        { "huge quantity", """{"orderId":"a","lines":[{"sku":"SKU","quantity":99999999999999999999999}]}""", "application/json", 400, "lines[0].quantity" },
        { "quantity over limit", """{"orderId":"a","lines":[{"sku":"SKU","quantity":1000001}]}""", "application/json", 400, "lines[0].quantity" },
        { "summed quantity over limit", """{"orderId":"a","lines":[{"sku":"SKU","quantity":600000},{"sku":"SKU","quantity":600000}]}""", "application/json", 400, "lines" },
        { "unicode sku", """{"orderId":"a","lines":[{"sku":"SKÜ","quantity":1}]}""", "application/json", 400, "lines[0].sku" },
        { "line not object", """{"orderId":"a","lines":[3]}""", "application/json", 400, "lines[0]" },
        { "oversized body", $$"""{"orderId":"a","pad":"{{new string('x', 70_000)}}","lines":[{"sku":"SKU","quantity":1}]}""", "application/json", 413, "" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Bad_input_is_a_4xx_problem_naming_the_field_and_changes_nothing(string _, string body, string contentType, int status, string field)
    {
        var sku = Sku("bad");
        await _server.SetStockAsync(sku, 10);
        using var client = _server.CreateClient();

        var response = await client.PostAsync("api/deductions", HttpCalls.Raw(body.Replace("SKU", sku, StringComparison.Ordinal), contentType));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(status, problem["status"]!.GetValue<int>());
        if (field.Length > 0)
        {
            Assert.NotNull(problem["errors"]![field]);
        }

        Assert.Equal(10, await client.AvailableAsync(sku));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("api/deductions/a")).StatusCode);
    }

    private static string Sku(string stem) => $"{stem}-{Guid.NewGuid():N}"[..(stem.Length + 13)];
}

public sealed class ServerApiBehaviourTests(StandaloneServer fixture) : ApiBehaviourTests(fixture.Server), IClassFixture<StandaloneServer>
{
    [Fact]
    public async Task No_op_baseline_route_exists_only_for_benchmarks()
    {
        using var client = fixture.Server.CreateClient(null);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("bench/noop", HttpCalls.Json(new { }))).StatusCode);
    }
}
