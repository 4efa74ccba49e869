using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Inventory.Persistence;

/// <summary>
/// The message on queue <c>inventory-tasks</c>: "partition <see cref="Partition"/> has accepted changes through
/// <see cref="ThroughId"/>". The engine persists from SQL's own cursor for the partition, so <see cref="AfterId"/>
/// is a hint for logs and a lost or reordered message loses nothing. A null <see cref="ThroughId"/> (journal sweep)
/// means "whatever the journal holds".
/// </summary>
public sealed record WakeupMessage(
    [property: JsonPropertyName("partition")] int Partition,
    [property: JsonPropertyName("afterId")] string AfterId,
    [property: JsonPropertyName("throughId")] string? ThroughId)
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The body Azure Storage queue triggers expect by default (messageEncoding base64).</summary>
    public string ToBase64() => Convert.ToBase64String(Encoding.UTF8.GetBytes(ToJson()));

    /// <exception cref="FormatException">The text is not a wakeup message; retrying it cannot help.</exception>
    public static WakeupMessage Parse(string json)
    {
        WakeupMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<WakeupMessage>(json, Json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Not a wakeup message: {e.Message}", e);
        }

        if (message is null || message.Partition < 0 || string.IsNullOrEmpty(message.AfterId))
        {
            throw new FormatException("A wakeup message needs a partition >= 0 and an afterId.");
        }

        return message;
    }
}
