using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Inventory.LoadDriver;

/// <summary>
/// A TCP proxy (listen port → target) that injects network faults on command: added latency per chunk, a stall
/// (bytes are held, connections stay open), dropped connections (RST), and refusing new connections. Put it
/// between the server and Redis by pointing Inventory__Redis__Configuration at <see cref="Port"/>.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<long, Link> _links = new();
    private readonly CancellationTokenSource _stop = new();
    private volatile TaskCompletionSource _flowing = Open();
    private long _delayTicks;
    private volatile bool _refusing;
    private long _nextId;
    private Task? _acceptLoop;

    public FaultProxy(int listenPort, string targetHost, int targetPort)
    {
        _listener = new TcpListener(IPAddress.Loopback, listenPort);
        _targetHost = targetHost;
        _targetPort = targetPort;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => _links.Count;

    public string Mode => _refusing ? "refusing" : !_flowing.Task.IsCompleted ? "stalled" : Delay > TimeSpan.Zero ? $"delay {Delay.TotalMilliseconds:0} ms" : "normal";

    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <summary>"host:port" → a proxy on <paramref name="listenPort"/> (0: any free port), already accepting.</summary>
    public static FaultProxy Start(int listenPort, string target)
    {
        var colon = target.LastIndexOf(':');
        var proxy = new FaultProxy(listenPort, target[..colon], int.Parse(target[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        proxy._listener.Start(512);
        proxy._acceptLoop = proxy.AcceptLoopAsync();
        return proxy;
    }

    /// <summary>Hold every byte in both directions until <see cref="Resume"/>; connections stay open, as on a hung network.</summary>
    public void Stall()
    {
        lock (_listener)
        {
            if (_flowing.Task.IsCompleted)
            {
                _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>Back to normal: bytes flow, no added delay, new connections accepted.</summary>
    public void Resume()
    {
        Delay = TimeSpan.Zero;
        _refusing = false;
        lock (_listener)
        {
            _flowing.TrySetResult();
        }
    }

    /// <summary>Reset every open connection (RST both ways); returns how many.</summary>
    public int DropAll()
    {
        var dropped = 0;
        foreach (var link in _links.Values)
        {
            link.Reset();
            dropped++;
        }

        return dropped;
    }

    /// <summary>While on, new connections are accepted and reset at once (the target looks down).</summary>
    public void Refuse(bool on) => _refusing = on;

    /// <summary>
    /// A line protocol for scripts (bash: exec 3&lt;&gt;/dev/tcp/127.0.0.1/PORT): delay MS | stall | resume | drop |
    /// refuse | accept | status. Each command answers one line starting with "ok" or "error".
    /// </summary>
    public async Task ServeControlAsync(int port, CancellationToken cancellationToken)
    {
        var control = new TcpListener(IPAddress.Loopback, port);
        control.Start();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var socket = await control.AcceptTcpClientAsync(cancellationToken);
                _ = Task.Run(async () =>
                {
                    using (socket)
                    {
                        var stream = socket.GetStream();
                        using var reader = new StreamReader(stream, Encoding.ASCII);
                        await using var writer = new StreamWriter(stream, Encoding.ASCII) { AutoFlush = true, NewLine = "\n" };
                        while (await reader.ReadLineAsync(cancellationToken) is { } line)
                        {
                            await writer.WriteLineAsync(Execute(line));
                        }
                    }
                }, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            control.Stop();
        }
    }

    public string Execute(string command)
    {
        var parts = command.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        switch (parts.FirstOrDefault()?.ToLowerInvariant())
        {
            case "delay" when parts.Length == 2 && int.TryParse(parts[1], out var ms) && ms >= 0:
                Delay = TimeSpan.FromMilliseconds(ms);
                break;
            case "stall":
                Stall();
                break;
            case "resume":
                Resume();
                break;
            case "drop":
                return $"ok dropped {DropAll()}";
            case "refuse":
                Refuse(true);
                break;
            case "accept":
                Refuse(false);
                break;
            case "status":
                break;
            default:
                return $"error unknown command '{command.Trim()}' (delay MS | stall | resume | drop | refuse | accept | status)";
        }

        return $"ok {Mode}, {Connections} connections";
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Resume();
        DropAll();
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }

        _stop.Dispose();
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            if (_refusing)
            {
                client.LingerState = new LingerOption(true, 0);
                client.Close();
                continue;
            }

            _ = Task.Run(() => ConnectAsync(client));
        }
    }

    private async Task ConnectAsync(Socket client)
    {
        var target = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await target.ConnectAsync(_targetHost, _targetPort, timeout.Token);
        }
        catch (Exception)
        {
            client.LingerState = new LingerOption(true, 0);
            client.Close();
            target.Dispose();
            return;
        }

        client.NoDelay = true;
        var id = Interlocked.Increment(ref _nextId);
        var link = new Link(client, target);
        _links[id] = link;
        try
        {
            await Task.WhenAll(PumpAsync(client, target, link), PumpAsync(target, client, link));
        }
        finally
        {
            _links.TryRemove(id, out _);
            link.Reset();
        }
    }

    /// <summary>
    /// One direction: a reader stamps each chunk with its release time (now + delay) and a writer sends it no
    /// earlier, and only while not stalled, so a delay adds latency without throttling throughput and keeps order.
    /// </summary>
    private async Task PumpAsync(Socket from, Socket to, Link link)
    {
        var chunks = Channel.CreateUnbounded<(byte[] Buffer, int Length, long ReleaseAt)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            try
            {
                await foreach (var (buffer, length, releaseAt) in chunks.Reader.ReadAllAsync(link.Closed))
                {
                    var wait = releaseAt - Environment.TickCount64;
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(wait), link.Closed);
                    }

                    await _flowing.Task.WaitAsync(link.Closed);
                    await to.SendAsync(buffer.AsMemory(0, length), SocketFlags.None, link.Closed);
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            catch (Exception)
            {
                link.Reset();
            }
        });

        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, link.Closed);
                if (read == 0)
                {
                    break;
                }

                chunks.Writer.TryWrite((buffer, read, Environment.TickCount64 + (long)Delay.TotalMilliseconds));
            }
        }
        catch (Exception)
        {
            link.Reset();
        }

        chunks.Writer.TryComplete();
        await writer;
        // Half-close: the other side learns of the end only after every held byte was sent.
        try
        {
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception)
        {
        }
    }

    private sealed class Link(Socket client, Socket target)
    {
        private readonly CancellationTokenSource _closed = new();
        private int _reset;

        public CancellationToken Closed => _closed.Token;

        public void Reset()
        {
            if (Interlocked.Exchange(ref _reset, 1) == 1)
            {
                return;
            }

            _closed.Cancel();
            foreach (var socket in new[] { client, target })
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                }
                catch (Exception)
                {
                }
            }
        }
    }
}
