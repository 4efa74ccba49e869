using Inventory.Api.Hosting;
using Inventory.Api.Telemetry;
using Inventory.Server;

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddInventory(builder.Configuration);
builder.Services.AddInventoryWorkers(builder.Configuration);
builder.Services.AddInventoryTelemetry(builder.Configuration);
var keys = new ApiKeys(builder.Configuration["Inventory:Keys:Function"], builder.Configuration["Inventory:Keys:Admin"]);
builder.Services.AddSingleton(keys);

var app = builder.Build();
app.MapInventory();
if (app.Configuration.GetValue<bool>("Inventory:Benchmark:NoopEndpoint"))
{
    // The baseline the HTTP benchmark compares against: the same server, no middleware, no work.
    app.MapPost("/bench/noop", () => Results.Ok());
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
