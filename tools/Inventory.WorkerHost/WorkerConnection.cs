using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Inventory.WorkerHost.Rpc;

namespace Inventory.WorkerHost;

/// <summary>
/// The host's end of the worker's event stream: sends requests, and pairs the worker's replies with them
/// (init and metadata by kind, loads by function id, invocations by invocation id).
/// </summary>
public sealed class WorkerConnection(string workerId, Action<string> log)
{
    private readonly Channel<StreamingMessage> _outbound = Channel.CreateUnbounded<StreamingMessage>();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _pending = new();

    public Task Started => _started.Task;

    /// <summary>Completes when the worker's stream has ended.</summary>
    public Task Closed => _closed.Task;

    public async Task<WorkerInitResponse> InitAsync(WorkerInitRequest request, CancellationToken cancellationToken) =>
        (await SendAsync("init", new StreamingMessage { WorkerInitRequest = request }, cancellationToken)).WorkerInitResponse;

    public async Task<FunctionMetadataResponse> MetadataAsync(FunctionsMetadataRequest request, CancellationToken cancellationToken) =>
        (await SendAsync("metadata", new StreamingMessage { FunctionsMetadataRequest = request }, cancellationToken)).FunctionMetadataResponse;

    public async Task<FunctionLoadResponse> LoadAsync(FunctionLoadRequest request, CancellationToken cancellationToken) =>
        (await SendAsync("load:" + request.FunctionId, new StreamingMessage { FunctionLoadRequest = request }, cancellationToken)).FunctionLoadResponse;

    public async Task<InvocationResponse> InvokeAsync(InvocationRequest request, CancellationToken cancellationToken) =>
        (await SendAsync("invocation:" + request.InvocationId, new StreamingMessage { InvocationRequest = request }, cancellationToken)).InvocationResponse;

    public void Terminate(TimeSpan grace) =>
        _outbound.Writer.TryWrite(new StreamingMessage { RequestId = NewId(), WorkerTerminate = new WorkerTerminate { GracePeriod = new Duration { Seconds = (long)grace.TotalSeconds } } });

    /// <summary>Runs for the life of the gRPC call the worker opened.</summary>
    public async Task RunAsync(IAsyncStreamReader<StreamingMessage> fromWorker, IServerStreamWriter<StreamingMessage> toWorker, CancellationToken cancellationToken)
    {
        if (!await fromWorker.MoveNext(cancellationToken) || fromWorker.Current.StartStream is not { } start || start.WorkerId != workerId)
        {
            throw new Grpc.Core.RpcException(new Status(StatusCode.PermissionDenied, "expected StartStream from worker " + workerId));
        }

        _started.TrySetResult();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = WriteAsync(toWorker, stop.Token);
        try
        {
            while (await fromWorker.MoveNext(cancellationToken))
            {
                Receive(fromWorker.Current);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or Grpc.Core.RpcException)
        {
            // The worker went away or the host is stopping; pending requests fail below.
        }
        finally
        {
            await stop.CancelAsync();
            await writer.ContinueWith(_ => { }, TaskScheduler.Default);
            foreach (var key in _pending.Keys)
            {
                if (_pending.TryRemove(key, out var waiter))
                {
                    waiter.TrySetException(new IOException("The worker's stream ended before it answered " + key));
                }
            }

            _closed.TrySetResult();
        }
    }

    private async Task WriteAsync(IServerStreamWriter<StreamingMessage> toWorker, CancellationToken cancellationToken)
    {
        await foreach (var message in _outbound.Reader.ReadAllAsync(cancellationToken))
        {
            await toWorker.WriteAsync(message, cancellationToken);
        }
    }

    private async Task<StreamingMessage> SendAsync(string key, StreamingMessage message, CancellationToken cancellationToken)
    {
        if (_closed.Task.IsCompleted)
        {
            throw new IOException("The worker's stream has ended.");
        }

        var reply = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_pending.TryAdd(key, reply))
        {
            throw new InvalidOperationException("A request is already waiting for " + key);
        }

        message.RequestId = NewId();
        await using var registration = cancellationToken.Register(() =>
        {
            if (_pending.TryRemove(key, out var waiter))
            {
                waiter.TrySetCanceled(cancellationToken);
            }
        });
        await _outbound.Writer.WriteAsync(message, cancellationToken);
        return await reply.Task;
    }

    private void Receive(StreamingMessage message)
    {
        var key = message.ContentCase switch
        {
            StreamingMessage.ContentOneofCase.WorkerInitResponse => "init",
            StreamingMessage.ContentOneofCase.FunctionMetadataResponse => "metadata",
            StreamingMessage.ContentOneofCase.FunctionLoadResponse => "load:" + message.FunctionLoadResponse.FunctionId,
            StreamingMessage.ContentOneofCase.InvocationResponse => "invocation:" + message.InvocationResponse.InvocationId,
            _ => null,
        };
        if (message.RpcLog is { } rpcLog)
        {
            if (Shows(rpcLog))
            {
                var error = rpcLog.Exception is { } e ? $" ({e.Message})" : "";
                log($"[worker] {rpcLog.Level} {rpcLog.Category}: {rpcLog.Message}{error}");
            }
        }
        else if (key is not null && _pending.TryRemove(key, out var waiter))
        {
            waiter.TrySetResult(message);
        }
        else if (key is null && message.ContentCase != StreamingMessage.ContentOneofCase.None)
        {
            log($"[host] ignored a {message.ContentCase} from the worker");
        }
    }

    // The worker's framework chatter (a line per request from ASP.NET Core) only from Warning up.
    private static bool Shows(RpcLog rpcLog) =>
        rpcLog.Level != RpcLog.Types.Level.None
        && rpcLog.Level >= (rpcLog.Category.StartsWith("Microsoft.", StringComparison.Ordinal) ? RpcLog.Types.Level.Warning : RpcLog.Types.Level.Information);

    private static string NewId() => Guid.NewGuid().ToString();
}

/// <summary>The gRPC service the worker connects to; one connection per host.</summary>
internal sealed class FunctionRpcService(WorkerConnection connection) : FunctionRpc.FunctionRpcBase
{
    public override Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context) =>
        connection.RunAsync(requestStream, responseStream, context.CancellationToken);
}
