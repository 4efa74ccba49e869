using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Inventory.Tests.Infrastructure;

/// <summary>
/// The plain server as a real process on a loopback port, as users run it, so tests cross real HTTP and can
/// kill it (-9) and start it again.
/// </summary>
public sealed class ServerProcess : IApiHost, IAsyncDisposable
{
    public const string FunctionKey = "test-function-key";
    public const string AdminKey = "test-admin-key";

    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public ServerProcess(string redisConfiguration, string keyPrefix, IDictionary<string, string>? extra = null)
    {
        Port = FreePort();
        KeyPrefix = keyPrefix;
        _environment = new Dictionary<string, string>
        {
            ["Inventory__Redis__Configuration"] = redisConfiguration,
            ["Inventory__Redis__KeyPrefix"] = keyPrefix,
            ["Inventory__Redis__SeenFilterBits"] = TestEnvironment.SeenFilterBits.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Inventory__Keys__Function"] = FunctionKey,
            ["Inventory__Keys__Admin"] = AdminKey,
            ["AzureWebJobsStorage"] = TestEnvironment.Storage,
            ["Inventory__Benchmark__NoopEndpoint"] = "true",
            // Most tests exercise the deduction path alone; the server refuses to start without SQL unless told so.
            // Tests with SQL pass a connection string and their provider, which replaces this.
            ["Inventory__Sql__Provider"] = "none",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            _environment[key] = value;
        }
    }

    public int Port { get; }

    public string KeyPrefix { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public HttpClient CreateClient(string? key = FunctionKey)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-functions-key", key);
        }

        return client;
    }

    /// <param name="requireHealthy">False: return once GET /api/health answers at all (a server started with a
    /// dependency down answers 503 unhealthy, and that is what such a test wants to see).</param>
    public async Task StartAsync(IDictionary<string, string>? overrides = null, bool requireHealthy = true)
    {
        var dll = Path.Combine(TestEnvironment.RepoRoot, "src", "Inventory.Server", "bin", BuildConfiguration, "net10.0", "Inventory.Server.dll");
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", BaseAddress.ToString().TrimEnd('/')])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var client = CreateClient(null);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                // Without a timeout this also waits for the redirected output to reach its end: the reason the
                // process gave for exiting is in its last lines.
                _process.WaitForExit();
                throw new InvalidOperationException($"Server exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await client.GetAsync("api/health");
                if (response.StatusCode == HttpStatusCode.OK || !requireHealthy)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Server did not become healthy:\n{Output}");
    }

    /// <summary>kill -9: no shutdown hooks, no flushing, like a crashed worker.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public Task<bool> WaitForExitAsync(TimeSpan timeout) =>
        _process is null ? Task.FromResult(true) : _process.WaitForExitAsync(new CancellationTokenSource(timeout).Token).ContinueWith(t => t.IsCompletedSuccessfully);

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static string BuildConfiguration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
