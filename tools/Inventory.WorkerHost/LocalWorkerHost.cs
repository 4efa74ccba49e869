using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Inventory.WorkerHost.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Inventory.WorkerHost;

/// <summary>
/// A local host for the Azure Functions worker protocol (not the Azure Functions host): starts the built isolated
/// worker as a process, connects it over gRPC (StartStream, init, metadata, one load per function), then serves its
/// HTTP functions, polls its queues and runs its timers. One instance, no scale-out, no host-level retries beyond the
/// queue's dequeue count.
/// </summary>
public sealed class LocalWorkerHost : IAsyncDisposable
{
    private const string HostVersion = "4.0.0-local-worker-host";
    private readonly WorkerHostOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly Dictionary<string, TimerTrigger> _timers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<QueueOutcome> _queueOutcomes = new();
    private readonly Dictionary<string, string> _settings;
    private WebApplication? _grpc;
    private WebApplication? _front;
    private WorkerProcess? _process;
    private WorkerConnection? _worker;

    public LocalWorkerHost(WorkerHostOptions options)
    {
        _options = options;
        _settings = new Dictionary<string, string>(options.Settings, StringComparer.OrdinalIgnoreCase);
        Keys = new FunctionKeys(options.FunctionKey, options.AdminKey);
        HostJson = HostJson.Load(Path.Combine(options.AppDirectory, "host.json"));
        options.ConfigureQueues?.Invoke(HostJson.Queues);
    }

    public FunctionKeys Keys { get; }

    public HostJson HostJson { get; }

    /// <summary>The HTTP front's address, with a trailing slash (routes are under host.json's routePrefix).</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The worker's own HTTP server, from its init response capabilities (HttpUri).</summary>
    public Uri? WorkerHttpUri { get; private set; }

    public IReadOnlyList<WorkerFunction> Functions { get; private set; } = [];

    public int? WorkerProcessId => _process?.Id;

    /// <summary>Completes when the worker's stream ends (the worker exited or was killed).</summary>
    public Task WorkerStopped => _worker?.Closed ?? Task.CompletedTask;

    /// <summary>Every queue delivery this host handled, in completion order.</summary>
    public IReadOnlyCollection<QueueOutcome> QueueOutcomes => _queueOutcomes;

    public static async Task<LocalWorkerHost> StartAsync(WorkerHostOptions options, CancellationToken cancellationToken = default)
    {
        var host = new LocalWorkerHost(options);
        try
        {
            await host.StartCoreAsync(cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a timer-triggered function now (waiting for a scheduled run of it to finish first).</summary>
    public Task<InvocationOutcome> FireTimerAsync(string functionName, CancellationToken cancellationToken = default) =>
        _timers.TryGetValue(functionName, out var timer)
            ? timer.FireAsync(cancellationToken)
            : throw new ArgumentException($"No timer-triggered function named {functionName}", nameof(functionName));

    /// <summary>Kills the worker process (-9), as a crash would; the host stays up and answers 502.</summary>
    public void KillWorker() => _process?.Kill();

    private Action<string> Log => _options.Log;

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.StartTimeout);
        var token = timeout.Token;
        var appDirectory = Path.GetFullPath(_options.AppDirectory);
        var workerAssembly = _options.WorkerAssembly ?? ReadWorkerPath(appDirectory);
        var workerId = Guid.NewGuid().ToString();
        _worker = new WorkerConnection(workerId, Log);

        _grpc = BuildGrpcServer(_worker);
        await _grpc.StartAsync(token);
        var grpcEndpoint = new Uri(_grpc.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        Log($"[host] gRPC endpoint for the worker: {grpcEndpoint}");

        var environment = new Dictionary<string, string>(_settings) { ["AzureFunctionsJobHost__Logging__Console__IsEnabled"] = "false" };
        _process = WorkerProcess.Start(appDirectory, workerAssembly, grpcEndpoint, workerId, environment, Log);
        await Until(_worker.Started, "the worker to open its stream (StartStream)", token);

        var init = await Until(_worker.InitAsync(new WorkerInitRequest
        {
            HostVersion = HostVersion,
            WorkerDirectory = appDirectory,
            FunctionAppDirectory = appDirectory,
        }, token), "WorkerInitResponse", token);
        Check(init.Result, "worker init");
        WorkerHttpUri = init.Capabilities.TryGetValue("HttpUri", out var httpUri) ? new Uri(httpUri.EndsWith('/') ? httpUri : httpUri + "/") : null;
        Log($"[host] worker initialised; its HTTP server: {WorkerHttpUri?.ToString() ?? "(none: no ASP.NET Core integration)"}");

        var metadata = await Until(_worker.MetadataAsync(new FunctionsMetadataRequest { FunctionAppDirectory = appDirectory }, token), "FunctionMetadataResponse", token);
        Check(metadata.Result, "function metadata");
        Functions = metadata.FunctionMetadataResults.Select(WorkerFunction.From).ToList();
        foreach (var function in Functions)
        {
            var load = await Until(_worker.LoadAsync(new FunctionLoadRequest { FunctionId = function.Id, Metadata = function.Metadata }, token), $"FunctionLoadResponse for {function.Name}", token);
            Check(load.Result, "loading " + function.Name);
        }

        Log($"[host] loaded {Functions.Count} functions: {string.Join(", ", Functions.Select(f => $"{f.Name} ({f.TriggerType})"))}");
        await StartFrontAsync(token);
        StartQueues();
        StartTimers();
    }

    private static WebApplication BuildGrpcServer(WorkerConnection connection)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(grpc => { grpc.MaxReceiveMessageSize = null; grpc.MaxSendMessageSize = null; });
        builder.Services.AddSingleton(connection);
        var app = builder.Build();
        app.MapGrpcService<FunctionRpcService>();
        return app;
    }

    private async Task StartFrontAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(_options.HttpUrl);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = 100 * 1024 * 1024);
        builder.Services.AddRouting();
        _front = builder.Build();
        var https = Functions.Where(f => f.TriggerType.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase)).ToList();
        if (https.Count > 0)
        {
            if (WorkerHttpUri is null)
            {
                throw new InvalidOperationException("The app has HTTP functions but the worker reported no HttpUri: only the ASP.NET Core integration is supported.");
            }

            new HttpFront(_worker!, WorkerHttpUri, Keys, Log).Map(_front, HostJson.RoutePrefix, https);
        }

        _front.MapFallback(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await _front.StartAsync(cancellationToken);
        var address = _front.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal) + "/");
        Log($"[host] HTTP functions on {BaseAddress}{HostJson.RoutePrefix}/");
    }

    private void StartQueues()
    {
        foreach (var function in Functions.Where(f => f.TriggerType.Equals("queueTrigger", StringComparison.OrdinalIgnoreCase)))
        {
            if (!_options.QueueTriggers)
            {
                Log($"[host] {function.Name}: queue polling off");
                continue;
            }

            var connectionName = function.TriggerProperty("connection") is { Length: > 0 } c ? c : "AzureWebJobsStorage";
            var connection = Setting(connectionName) ?? Setting(connectionName + "__connectionString")
                ?? throw new InvalidOperationException($"{function.Name}: app setting {connectionName} is not set");
            var trigger = new QueueTrigger(function, connection, HostJson.Queues, _worker!, _queueOutcomes.Enqueue, Log);
            _loops.Add(Loop(function.Name, token => trigger.RunAsync(token)));
        }
    }

    private void StartTimers()
    {
        foreach (var function in Functions.Where(f => f.TriggerType.Equals("timerTrigger", StringComparison.OrdinalIgnoreCase)))
        {
            var timer = new TimerTrigger(function, Resolve, _worker!, Log);
            _timers[function.Name] = timer;
            if (_options.TimerSchedules)
            {
                _loops.Add(Loop(function.Name, token => timer.RunAsync(TimeProvider.System, token)));
            }
        }
    }

    /// <summary>Keeps a trigger loop running until the host stops; a failure is logged and the loop restarted.</summary>
    private Task Loop(string name, Func<CancellationToken, Task> run) => Task.Run(async () =>
    {
        while (!_stopping.IsCancellationRequested && !WorkerStopped.IsCompleted)
        {
            try
            {
                await run(_stopping.Token);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when (WorkerStopped.IsCompleted)
            {
                Log($"[host] {name}: stopped (the worker's stream has ended)");
                return;
            }
            catch (Exception e)
            {
                Log($"[host] {name}: trigger loop failed, restarting in 1 s: {e.GetBaseException().Message}");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    });

    /// <summary>Resolves %Name% references in a binding property from the app settings (then the environment).</summary>
    public string Resolve(string value) =>
        System.Text.RegularExpressions.Regex.Replace(value, "%([^%]+)%", m => Setting(m.Groups[1].Value)
            ?? throw new InvalidOperationException($"App setting {m.Groups[1].Value} (in '{value}') is not set"));

    private string? Setting(string name) =>
        _settings.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);

    private async Task<T> Until<T>(Task<T> task, string what, CancellationToken cancellationToken)
    {
        await Until((Task)task, what, cancellationToken);
        return await task;
    }

    private async Task Until(Task task, string what, CancellationToken cancellationToken)
    {
        var exited = _process!.Exited;
        var done = await Task.WhenAny(task, exited, Task.Delay(Timeout.Infinite, cancellationToken));
        if (done == exited && !task.IsCompleted)
        {
            throw new InvalidOperationException($"The worker exited (code {_process.ExitCode}) while the host waited for {what}.");
        }

        if (done != task)
        {
            throw new TimeoutException($"Timed out waiting for {what}.");
        }

        await task;
    }

    private static void Check(StatusResult? result, string what)
    {
        if (result?.Status != StatusResult.Types.Status.Success)
        {
            throw new InvalidOperationException($"{what} failed: {result?.Exception?.Message ?? result?.Result ?? "no status"}");
        }
    }

    private static string ReadWorkerPath(string appDirectory)
    {
        var config = Path.Combine(appDirectory, "worker.config.json");
        var path = File.Exists(config) ? (string?)JsonNode.Parse(File.ReadAllText(config))?["description"]?["defaultWorkerPath"] : null;
        return path ?? throw new InvalidOperationException($"No worker.config.json with description.defaultWorkerPath in {appDirectory}: is this a built Functions app?");
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        if (_front is not null)
        {
            using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
            {
                await _front.StopAsync(grace.Token);
            }

            await _front.DisposeAsync();
        }

        if (_process is not null)
        {
            _worker?.Terminate(TimeSpan.FromSeconds(2));
            await _process.StopAsync(TimeSpan.FromSeconds(3));
            Log($"[host] worker pid {_process.Id} stopped");
            await _process.DisposeAsync();
        }

        if (_grpc is not null)
        {
            using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2)))
            {
                await _grpc.StopAsync(grace.Token);
            }

            await _grpc.DisposeAsync();
        }

        _stopping.Dispose();
    }
}
