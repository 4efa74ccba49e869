using System.Diagnostics;
using Inventory.WorkerHost.Rpc;

namespace Inventory.WorkerHost;

internal static class Invocations
{
    /// <summary>An invocation with a fresh W3C trace context: the worker throws on an invocation without one.</summary>
    public static InvocationRequest New(WorkerFunction function, TypedData trigger)
    {
        var request = new InvocationRequest
        {
            InvocationId = Guid.NewGuid().ToString(),
            FunctionId = function.Id,
            TraceContext = new RpcTraceContext
            {
                TraceParent = $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01",
                TraceState = "",
            },
        };
        request.InputData.Add(new ParameterBinding { Name = function.TriggerName, Data = trigger });
        return request;
    }

    public static bool Succeeded(this InvocationResponse response) => response.Result?.Status == StatusResult.Types.Status.Success;

    public static string Failure(this InvocationResponse response) =>
        response.Result?.Exception?.Message is { Length: > 0 } message ? message : response.Result?.Result ?? "unknown failure";
}

/// <summary>The outcome of one invocation, as tests and logs see it.</summary>
public sealed record InvocationOutcome(string Function, string InvocationId, bool Succeeded, string? Error, TimeSpan Duration);
