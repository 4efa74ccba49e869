using System.Text.Json;

namespace Inventory.Persistence;

/// <summary>
/// The queue message on inventory-tasks: "persist partition P's journal after AfterId through ThroughId".
/// It only wakes the engine; the data travels in the journal. AfterId is empty when the sender does not know
/// where its range starts (the engine then starts from what SQL already holds).
/// </summary>
public sealed record WakeupMessage(int Partition, string AfterId, string ThroughId)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
