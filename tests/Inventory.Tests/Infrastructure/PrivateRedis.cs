using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Inventory.Tests.Infrastructure;

/// <summary>
/// A standalone redis-server of this test's own, on a free loopback port, without persistence: tests that wipe
/// Redis, fill it up or restart it must never do that to the shared services. Stopped (by its pid) on dispose.
/// </summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _process;

    private PrivateRedis(int port)
    {
        Port = port;
        _directory = Path.Combine(Path.GetTempPath(), $"inventory-redis-{port}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(_directory);
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<PrivateRedis> StartAsync()
    {
        var redis = new PrivateRedis(FreePort());
        await redis.StartProcessAsync();
        return redis;
    }

    /// <summary>A connection that may run admin commands (CONFIG SET, FLUSHALL, INFO).</summary>
    public ConnectionMultiplexer ConnectAdmin() =>
        ConnectionMultiplexer.Connect(new ConfigurationOptions { EndPoints = { Configuration }, AllowAdmin = true, AbortOnConnectFail = false });

    /// <summary>Like a node restarted without persistence: stop it and start it again empty on the same port.</summary>
    public async Task RestartEmptyAsync()
    {
        Stop();
        await StartProcessAsync();
    }

    private async Task StartProcessAsync()
    {
        var info = new ProcessStartInfo("redis-server",
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", _directory, "--maxmemory-policy", "noeviction", "--protected-mode", "no"])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server on port {Port} exited with {_process.ExitCode}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"redis-server on port {Port} did not listen within 20 s");
    }

    private void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp directory is harmless
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A port from 6391 up that nothing listens on (the shared services use 6380 and 7001-7006).</summary>
    private static int FreePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = 6391 + Random.Shared.Next(0, 2000);
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("No free port for a private redis-server.");
    }
}
