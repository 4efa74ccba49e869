using System.Text;
using Inventory.Tests.Infrastructure;
using Inventory.WorkerHost;

namespace Inventory.Functions.Tests;

/// <summary>
/// The built Functions app as a real isolated worker process behind the local worker-protocol host, with the test
/// keys, a Redis key prefix of its own and the given app settings. Disposing stops the worker (by its pid) and the host.
/// </summary>
public sealed class FunctionsWorker : IApiHost, IAsyncDisposable
{
    private readonly StringBuilder _log = new();

    private FunctionsWorker(string keyPrefix) => KeyPrefix = keyPrefix;

    public LocalWorkerHost Host { get; private set; } = null!;

    public string KeyPrefix { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static string AppDirectory { get; } = Path.Combine(TestEnvironment.RepoRoot, "src", "Inventory.Functions", "bin", BuildConfiguration, "net10.0");

    /// <summary>Starts a worker; queue polling and timer schedules are off unless asked for (timers can still be fired).</summary>
    public static async Task<FunctionsWorker> StartAsync(string keyPrefix, IDictionary<string, string>? settings = null,
        bool queueTriggers = false, bool timerSchedules = false, Action<QueueTriggerSettings>? configureQueues = null)
    {
        var worker = new FunctionsWorker(keyPrefix);
        // The schedules are app settings (%Name%) even when the schedules are off: timers resolve them when loaded.
        var all = LocalSettings.Read(Path.Combine(TestEnvironment.RepoRoot, "local.settings.sample.json"))
            .Where(s => s.Key.EndsWith("Schedule", StringComparison.Ordinal))
            .ToDictionary(s => s.Key, s => s.Value);
        all["AzureWebJobsStorage"] = TestEnvironment.Storage;
        all["Inventory__Redis__Configuration"] = TestEnvironment.Redis;
        all["Inventory__Redis__KeyPrefix"] = keyPrefix;
        all["Inventory__Redis__SeenFilterBits"] = TestEnvironment.SeenFilterBits.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The contract suites run without SQL, which the app refuses unless told so explicitly.
        all["Inventory__Sql__Provider"] = "none";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        try
        {
            worker.Host = await LocalWorkerHost.StartAsync(new WorkerHostOptions
            {
                AppDirectory = AppDirectory,
                Settings = all,
                FunctionKey = ServerProcess.FunctionKey,
                AdminKey = ServerProcess.AdminKey,
                QueueTriggers = queueTriggers,
                TimerSchedules = timerSchedules,
                ConfigureQueues = configureQueues,
                Log = worker.Append,
            });
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"The worker did not start: {e.Message}\n{worker.Log}", e);
        }

        return worker;
    }

    public HttpClient CreateClient(string? key = ServerProcess.FunctionKey)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-functions-key", key);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }

    private void Append(string line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static string BuildConfiguration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
}
