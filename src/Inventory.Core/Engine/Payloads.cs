using System.Text.Json;
using System.Text.Json.Serialization;
using Inventory.Persistence;

namespace Inventory.Engine;

/// <summary>Payload of an apply child: the SKUs whose stock it brings up to their latest ledger row.</summary>
public sealed record ApplyPayload([property: JsonPropertyName("skus")] IReadOnlyList<string> Skus)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static ApplyPayload Parse(string json) =>
        JsonSerializer.Deserialize<ApplyPayload>(json) ?? throw new FormatException("empty apply payload");
}

/// <summary>Payload of a trim child: the journal may lose entries through this id because the ledger holds them.</summary>
public sealed record TrimPayload(
    [property: JsonPropertyName("partition")] int Partition,
    [property: JsonPropertyName("throughId")] string ThroughId)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static TrimPayload Parse(string json) =>
        JsonSerializer.Deserialize<TrimPayload>(json) ?? throw new FormatException("empty trim payload");
}

/// <summary>Dedupe keys: each names the work so that creating it twice is a no-op.</summary>
public static class DedupeKeys
{
    public static string Persist(int partition, string throughId) => $"persist:{partition}:{throughId}";

    /// <summary>One sweep task per cursor position: a later sweep at the same position finds it and adds nothing.</summary>
    public static string Sweep(int partition, string cursor) => $"persist:{partition}:sweep:{cursor}";

    public static string Apply(int partition, string firstStreamId, int shard) => $"apply:{partition}:{firstStreamId}:{shard}";

    public static string Trim(int partition, string throughId) => $"trim:{partition}:{throughId}";
}

public static class PersistTasks
{
    public static NewTask For(WakeupMessage message, int maxAttempts) => new(
        TaskKinds.Persist,
        message.ThroughId is null ? DedupeKeys.Sweep(message.Partition, message.AfterId) : DedupeKeys.Persist(message.Partition, message.ThroughId),
        message.ToJson(),
        maxAttempts);
}
