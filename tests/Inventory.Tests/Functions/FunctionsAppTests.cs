using System.Text;
using System.Text.Json.Nodes;
using Inventory.Api.Hosting;
using Inventory.Api.Http;
using Inventory.Functions.Http;
using Inventory.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Functions;

/// <summary>The Functions host cannot run here, so its function classes are called directly, as the host would.</summary>
public sealed class FunctionsAppTests : IAsyncLifetime
{
    private readonly ServiceProvider _services;

    public FunctionsAppTests()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Redis:Configuration"] = TestEnvironment.Redis,
            ["Inventory:Redis:KeyPrefix"] = TestEnvironment.UniquePrefix("f"),
            ["Inventory:Sql:Provider"] = "none",
            ["AzureWebJobsStorage"] = TestEnvironment.Storage,
        }).Build();
        _services = new ServiceCollection().AddLogging().AddInventory(configuration).BuildServiceProvider();
    }

    private InventoryHandlers Handlers => _services.GetRequiredService<InventoryHandlers>();

    [Fact]
    public async Task Function_classes_run_the_shared_handlers()
    {
        var set = await InvokeAsync(r => new SetStock(Handlers).Run(r, "fn-sku"), "PUT", """{"available":4}""");
        var deduct = await InvokeAsync(r => new Deduct(Handlers).Run(r), "POST", """{"orderId":"fn-1","lines":[{"sku":"fn-sku","quantity":3}]}""");
        var replay = await InvokeAsync(r => new Deduct(Handlers).Run(r), "POST", """{"orderId":"fn-1","lines":[{"sku":"fn-sku","quantity":3}]}""");
        var batch = await InvokeAsync(r => new DeductBatch(Handlers).Run(r), "POST", """{"deductions":[{"orderId":"fn-2","lines":[{"sku":"fn-sku","quantity":2}]}]}""");
        var get = await InvokeAsync(r => new GetDeduction(Handlers).Run(r, "fn-1"), "GET");
        var stock = await InvokeAsync(r => new GetStock(Handlers).Run(r, "fn-sku"), "GET");
        var list = await InvokeAsync(r => new ListStock(Handlers).Run(r), "GET", query: "?skus=fn-sku");
        var adjust = await InvokeAsync(r => new AdjustStock(Handlers).Run(r, "fn-sku"), "POST", """{"adjustmentId":"fa","delta":5}""");
        var cancel = await InvokeAsync(r => new CancelDeduction(Handlers).Run(r, "fn-1"), "POST");
        var health = await InvokeAsync(r => new Health(Handlers).Run(r), "GET");
        // Health gives Redis 600 ms; the first checks of a cold process on a busy machine can miss that once.
        for (var attempt = 0; health.Status == 503 && attempt < 20; attempt++)
        {
            await Task.Delay(250);
            health = await InvokeAsync(r => new Health(Handlers).Run(r), "GET");
        }

        var bad = await InvokeAsync(r => new Deduct(Handlers).Run(r), "POST", """{"orderId":"","lines":[]}""");

        Assert.Equal(200, set.Status);
        Assert.Equal((200, 1L), (deduct.Status, deduct.Body!["lines"]![0]!["remaining"]!.GetValue<long>()));
        Assert.Equal("true", replay.Headers["Idempotent-Replayed"].ToString());
        Assert.Equal(409, batch.Body!["results"]![0]!["status"]!.GetValue<int>());
        Assert.Equal("deducted", get.Body!["status"]!.GetValue<string>());
        Assert.Equal(1, stock.Body!["available"]!.GetValue<long>());
        Assert.Single(list.Body!["items"]!.AsArray());
        Assert.Equal(6, adjust.Body!["available"]!.GetValue<long>());
        Assert.Equal(9, cancel.Body!["lines"]![0]!["remaining"]!.GetValue<long>());
        Assert.Equal(200, health.Status);
        Assert.Equal((400, "application/problem+json"), (bad.Status, bad.ContentType));
        Assert.NotNull(bad.Body!["errors"]!["orderId"]);
    }

    [Fact]
    public async Task With_redis_unreachable_every_route_answers_a_503_problem_not_a_500()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Redis:Configuration"] = "127.0.0.1:1,connectTimeout=200",
            ["Inventory:Redis:TimeoutMilliseconds"] = "300",
            ["Inventory:Sql:Provider"] = "none",
            ["AzureWebJobsStorage"] = TestEnvironment.Storage,
        }).Build();
        await using var down = new ServiceCollection().AddLogging().AddInventory(configuration).BuildServiceProvider();
        var handlers = down.GetRequiredService<InventoryHandlers>();

        var adjust = await InvokeAsync(r => new AdjustStock(handlers).Run(r, "x"), "POST", """{"adjustmentId":"a","delta":1}""", services: down);
        var set = await InvokeAsync(r => new SetStock(handlers).Run(r, "x"), "PUT", """{"available":1}""", services: down);
        var stock = await InvokeAsync(r => new GetStock(handlers).Run(r, "x"), "GET", services: down);
        var deduct = await InvokeAsync(r => new Deduct(handlers).Run(r), "POST", """{"orderId":"o","lines":[{"sku":"x","quantity":1}]}""", services: down);
        var health = await InvokeAsync(r => new Health(handlers).Run(r), "GET", services: down);

        Assert.All(new[] { adjust, set, stock }, a => Assert.Equal((503, "application/problem+json"), (a.Status, a.ContentType)));
        Assert.Equal(503, deduct.Status);
        Assert.Equal("unknown", deduct.Body!["status"]!.GetValue<string>());
        Assert.Equal((503, "unhealthy"), (health.Status, health.Body!["status"]!.GetValue<string>()));
    }

    [Fact]
    public void Functions_metadata_declares_exactly_the_routes_of_the_plain_server()
    {
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray();
        var http = metadata
            .Select(f => (Name: f!["name"]!.GetValue<string>(), Trigger: f["bindings"]!.AsArray().Single(b => b!["direction"]!.GetValue<string>() == "In" && b["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal))!))
            .Where(f => f.Trigger["type"]!.GetValue<string>() == "httpTrigger")
            .Select(f => $"{f.Name} {f.Trigger["methods"]![0]!.GetValue<string>().ToUpperInvariant()} {f.Trigger["route"]!.GetValue<string>()} {f.Trigger["authLevel"]!.GetValue<string>()}")
            .Order()
            .ToList();
        var expected = InventoryRoutes.All.Select(r => $"{r.Name} {r.Method} {r.Template} {r.Access}").Order().ToList();

        Assert.Equal(expected, http);
    }

    [Fact]
    public void Functions_metadata_declares_the_timers_and_queues_with_schedules_from_app_settings()
    {
        var metadata = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray();
        var bindings = metadata.SelectMany(f => f!["bindings"]!.AsArray().Select(b => (Function: f["name"]!.GetValue<string>(), Binding: b!))).ToList();

        var timers = bindings.Where(b => b.Binding["type"]!.GetValue<string>() == "timerTrigger").ToList();
        Assert.NotEmpty(timers);
        Assert.All(timers, t => Assert.Matches("^%[A-Za-z]+Schedule%$", t.Binding["schedule"]!.GetValue<string>()));
        Assert.Contains(timers, t => t.Function == "RecoverOrders");
        Assert.Contains(timers, t => t.Function == "ExpireHolds");

        var queues = bindings.Where(b => b.Binding["type"]!.GetValue<string>() is "queueTrigger" or "queue").ToList();
        Assert.All(queues, q => Assert.StartsWith("inventory-", q.Binding["queueName"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.All(queues, q => Assert.Equal("AzureWebJobsStorage", q.Binding["connection"]?.GetValue<string>() ?? "AzureWebJobsStorage"));
    }

    private async Task<(int Status, JsonNode? Body, IHeaderDictionary Headers, string? ContentType)> InvokeAsync(
        Func<HttpRequest, Task<IActionResult>> function, string method, string? body = null, string query = "", IServiceProvider? services = null)
    {
        var context = new DefaultHttpContext { RequestServices = services ?? _services };
        context.Request.Method = method;
        context.Request.QueryString = new QueryString(query);
        if (body is not null)
        {
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        }

        var output = new MemoryStream();
        context.Response.Body = output;
        var result = await function(context.Request);

        Assert.IsType<EmptyResult>(result);
        var text = Encoding.UTF8.GetString(output.ToArray());
        return (context.Response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), context.Response.Headers, context.Response.ContentType);
    }

    public Task InitializeAsync() => _services.GetRequiredService<Inventory.Api.Hosting.RedisRecovery>().CheckAsync();

    public async Task DisposeAsync() => await _services.DisposeAsync();
}
