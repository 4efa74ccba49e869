using System.Text.Json.Nodes;
using Inventory.WorkerHost.Rpc;

namespace Inventory.WorkerHost;

/// <summary>One function as the worker reported it, with its trigger binding read from the raw bindings.</summary>
public sealed class WorkerFunction
{
    private WorkerFunction(RpcFunctionMetadata metadata, JsonObject trigger)
    {
        Metadata = metadata;
        Trigger = trigger;
    }

    public RpcFunctionMetadata Metadata { get; }

    public string Name => Metadata.Name;

    public string Id => Metadata.FunctionId;

    /// <summary>The trigger binding's JSON (type, name, and the trigger's own properties).</summary>
    public JsonObject Trigger { get; }

    public string TriggerType => (string?)Trigger["type"] ?? "";

    public string TriggerName => (string?)Trigger["name"] ?? "";

    public string? TriggerProperty(string name) =>
        Trigger.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.ToString();

    public static WorkerFunction From(RpcFunctionMetadata metadata)
    {
        var bindings = metadata.RawBindings.Select(raw => JsonNode.Parse(raw)!.AsObject()).ToList();
        var trigger = bindings.FirstOrDefault(b => ((string?)b["type"])?.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase) == true)
            ?? throw new InvalidOperationException($"Function {metadata.Name} has no trigger binding.");
        return new WorkerFunction(metadata, trigger);
    }
}
