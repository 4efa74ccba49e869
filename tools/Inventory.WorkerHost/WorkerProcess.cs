using System.Diagnostics;

namespace Inventory.WorkerHost;

/// <summary>The isolated worker as a child process, launched the way the Functions host launches it.</summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private const int MaxMessageLength = int.MaxValue;
    private readonly Process _process;
    private readonly string _home;

    private WorkerProcess(Process process, string home)
    {
        _process = process;
        _home = home;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Task Exited => _process.WaitForExitAsync();

    public static WorkerProcess Start(string appDirectory, string workerAssembly, Uri grpcEndpoint, string workerId, IDictionary<string, string> settings, Action<string> log)
    {
        var requestId = Guid.NewGuid().ToString();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = appDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            Path.Combine(appDirectory, workerAssembly),
            "--host", grpcEndpoint.Host, "--port", grpcEndpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--workerId", workerId, "--requestId", requestId, "--grpcMaxMessageLength", MaxMessageLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--functions-uri", grpcEndpoint.ToString(), "--functions-worker-id", workerId, "--functions-request-id", requestId,
            "--functions-grpc-max-message-length", MaxMessageLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(argument);
        }

        // The worker's own Kestrel (ASP.NET Core integration) picks its port; an inherited URL setting would fight it.
        foreach (var inherited in new[] { "ASPNETCORE_URLS", "URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS" })
        {
            info.Environment.Remove(inherited);
        }

        foreach (var (key, value) in settings)
        {
            info.Environment[key] = value;
        }

        // ASP.NET Core data protection in the worker writes its keys under $HOME/.aspnet.
        var home = Directory.CreateTempSubdirectory("inventory-worker-home-").FullName;
        info.Environment["HOME"] = home;
        info.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        info.Environment["FUNCTIONS_WORKER_DIRECTORY"] = appDirectory;
        info.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = appDirectory;
        info.Environment["AzureWebJobsScriptRoot"] = appDirectory;

        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { log("[worker] " + e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { log("[worker!] " + e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log($"[host] started worker pid {process.Id}: dotnet {workerAssembly} (id {workerId})");
        return new WorkerProcess(process, home);
    }

    /// <summary>Waits for a clean exit, then kills the worker (by its own handle) if it is still there.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
    }

    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero);
        _process.Dispose();
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
