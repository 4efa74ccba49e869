using System.Runtime.InteropServices;
using Inventory.WorkerHost;

// ./run --functions: serve a built Functions app through the local worker-protocol host until Ctrl-C.
// Usage: Inventory.WorkerHost --app DIR [--urls URL] [--settings local.settings.json] [--function-key K] [--admin-key K]
var arguments = args.Select((value, index) => (value, index)).Where(a => a.value.StartsWith("--", StringComparison.Ordinal))
    .ToDictionary(a => a.value[2..], a => a.index + 1 < args.Length ? args[a.index + 1] : "", StringComparer.OrdinalIgnoreCase);
if (!arguments.TryGetValue("app", out var app) || app.Length == 0)
{
    Console.Error.WriteLine("usage: Inventory.WorkerHost --app DIR [--urls URL] [--settings local.settings.json] [--function-key K] [--admin-key K]");
    return 2;
}

Console.WriteLine("Local worker-protocol host for the Azure Functions isolated worker (NOT the Azure Functions host):");
Console.WriteLine("  it runs the worker process over gRPC and implements HTTP routing with keys, queue polling and timers itself.");
Console.WriteLine("  With Azure Functions Core Tools installed, `func start` in src/Inventory.Functions is the real thing.");

var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
if (arguments.TryGetValue("settings", out var settingsFile) && File.Exists(settingsFile))
{
    // As Core Tools does: local.settings.json Values, unless the environment already sets them.
    foreach (var (key, value) in LocalSettings.Read(settingsFile))
    {
        if (Environment.GetEnvironmentVariable(key) is null)
        {
            settings[key] = value;
        }
    }
}

using var stop = new CancellationTokenSource();
// SIGINT and SIGTERM end the wait below, so the worker process is stopped (by its pid) before this one exits.
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

var log = (string line) => Console.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {line}");
await using var host = await LocalWorkerHost.StartAsync(new WorkerHostOptions
{
    AppDirectory = app,
    HttpUrl = arguments.GetValueOrDefault("urls") is { Length: > 0 } urls ? urls : "http://127.0.0.1:7071",
    Settings = settings,
    FunctionKey = arguments.GetValueOrDefault("function-key"),
    AdminKey = arguments.GetValueOrDefault("admin-key"),
    Log = log,
});
Console.WriteLine($"Functions on {host.BaseAddress}{host.HostJson.RoutePrefix}/ (worker pid {host.WorkerProcessId})");
if (host.Keys.Generated)
{
    Console.WriteLine($"  function key: {host.Keys.Function}");
    Console.WriteLine($"  admin key:    {host.Keys.Admin}");
}

var stopped = Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
if (await Task.WhenAny(stopped, host.WorkerStopped) == host.WorkerStopped && !stop.IsCancellationRequested)
{
    Console.Error.WriteLine("the worker process ended; stopping the host");
    return 1;
}

Console.WriteLine("stopping");
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}
