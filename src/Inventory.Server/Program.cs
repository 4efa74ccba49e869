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
builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
{
    // The listening address varies (tests use random ports); clients know where they call.
    document.Servers = [];
    document.Info = new() { Title = "Inventory", Version = "v1", Description = "Flash-sale stock deduction in Redis, persisted to SQL by a task engine. Keys: x-functions-key header or code query." };
    return Task.CompletedTask;
}));

var app = builder.Build();
app.MapInventory();
app.MapOpenApi("/openapi/v1.json");
if (app.Configuration.GetValue<bool>("Inventory:Benchmark:NoopEndpoint"))
{
    // The baseline the HTTP benchmark compares against: the same server, no middleware, no work.
    app.MapPost("/bench/noop", () => Results.Ok()).ExcludeFromDescription();
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
