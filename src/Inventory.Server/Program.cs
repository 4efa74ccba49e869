using Inventory.Api.Hosting;
using Inventory.Api.Telemetry;
using Inventory.Server;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddInventory(builder.Configuration);
builder.Services.AddInventoryWorkers(builder.Configuration);
builder.Services.AddInventoryTelemetry(builder.Configuration);
var keys = new ApiKeys(builder.Configuration["Inventory:Keys:Function"], builder.Configuration["Inventory:Keys:Admin"]);
builder.Services.AddSingleton(keys);
// The handlers accept numbers only as JSON numbers; the API description says so too.
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);
builder.Services.AddOpenApi(options =>
{
    options.AddDocumentTransformer((document, _, _) =>
    {
        RouteDocumentation.DescribeDocument(document);
        return Task.CompletedTask;
    });
    options.AddSchemaTransformer(RouteDocumentation.DescribeSchemaAsync);
});

var app = builder.Build();
// Anything a handler did not turn into an answer is a 500 problem+json with a traceId (AddProblemDetails), in every
// environment: without this, Development's exception page would send the stack trace as text.
app.UseExceptionHandler();
app.MapInventory();
app.MapOpenApi("/openapi/v1.json");
if (app.Configuration.GetValue<bool>("Inventory:Benchmark:NoopEndpoint"))
{
    // The baseline the HTTP benchmark compares against: the same server, no middleware, no work.
    app.MapPost("/bench/noop", () => Results.Ok()).ExcludeFromDescription();
    // scripts/bench-http.sh reads it before and after a load run: allocated bytes per request, from outside.
    app.MapGet("/bench/allocated", () => Results.Text(GC.GetTotalAllocatedBytes(false).ToString(System.Globalization.CultureInfo.InvariantCulture)))
        .ExcludeFromDescription();
    // ... and what the runtime did meanwhile (GC pauses and collections, thread pool), to explain latency tails.
    app.MapGet("/bench/runtime", () => Results.Text(string.Join(' ',
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), (long)GC.GetTotalPauseDuration().TotalMilliseconds,
            ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount, System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")))
        .ExcludeFromDescription();
}

app.Lifetime.ApplicationStarted.Register(() =>
{
    Console.WriteLine($"Inventory listening on {string.Join(", ", app.Urls)}");
    // Keys are printed only when this process made them up; configured keys never reach the log.
    if (keys.Generated)
    {
        Console.WriteLine($"  function key: {keys.FunctionKey}");
        Console.WriteLine($"  admin key:    {keys.AdminKey}");
    }
});
app.Run();

public partial class Program;
