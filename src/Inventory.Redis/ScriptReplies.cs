using System.Globalization;
using Inventory.Domain;
using StackExchange.Redis;

namespace Inventory.Redis;

internal enum SlotStatus
{
    Deducted,
    Insufficient,
    UnknownSku,
    Conflict,
    Cancelled,
    /// <summary>A back-check fenced this attempt: it did not deduct and never will.</summary>
    Fenced,
    /// <summary>The script ran after its deadline and did nothing.</summary>
    Expired,
    /// <summary>Neither the command nor a back-check could tell what happened.</summary>
    Unknown,
    /// <summary>Refused, nothing changed: the journal is at its bound (SQL is behind) or the partition is being rebuilt.</summary>
    Backlog,
}

/// <summary>What one partition answered for an order.</summary>
internal sealed record SlotReply(
    SlotStatus Status,
    IReadOnlyList<LineResult> Lines,
    bool Replayed = false,
    IReadOnlyList<ShortLine>? Short = null,
    IReadOnlyList<string>? UnknownSkus = null,
    string? StreamId = null)
{
    public static readonly SlotReply Unknown = new(SlotStatus.Unknown, []);

    public static SlotReply Parse(RedisResult result)
    {
        var reply = (RedisResult[])result!;
        switch ((string)reply[0]!)
        {
            case "deducted":
                return new SlotReply(SlotStatus.Deducted, ParseLines((string?)reply[1]), (string?)reply[2] == "1",
                    StreamId: reply.Length > 3 ? (string?)reply[3] : null);
            case "insufficient":
                var shortLines = new List<ShortLine>();
                for (var i = 1; i + 2 < reply.Length; i += 3)
                {
                    shortLines.Add(new ShortLine((string)reply[i]!, Long(reply[i + 1]), Long(reply[i + 2])));
                }

                return new SlotReply(SlotStatus.Insufficient, [], Short: shortLines);
            case "unknown":
                return new SlotReply(SlotStatus.UnknownSku, [], UnknownSkus: reply.Skip(1).Select(r => (string)r!).ToList());
            case "conflict":
                return new SlotReply(SlotStatus.Conflict, []);
            case "cancelled":
                return new SlotReply(SlotStatus.Cancelled, []);
            case "fenced":
                return new SlotReply(SlotStatus.Fenced, []);
            case "expired":
                return new SlotReply(SlotStatus.Expired, []);
            case "backlog":
            case "lost":
                return new SlotReply(SlotStatus.Backlog, []);
            default:
                throw new InvalidOperationException($"Unexpected deduct reply '{reply[0]}'.");
        }
    }

    /// <summary>Parses "sku qty remaining,sku qty remaining" as the scripts store results.</summary>
    public static IReadOnlyList<LineResult> ParseLines(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded))
        {
            return [];
        }

        return encoded.Split(',').Select(entry =>
        {
            var parts = entry.Split(' ');
            return new LineResult(parts[0], long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
        }).ToList();
    }

    private static long Long(RedisResult value) => long.Parse((string)value!, CultureInfo.InvariantCulture);
}

internal enum ClaimStatus
{
    New,
    Same,
    /// <summary>A multi-partition order taken over by this attempt (it was pending or failed).</summary>
    Attempt,
    Tomb,
    Conflict,
    Unknown,
}

internal sealed record ClaimReply(ClaimStatus Status, string State = "", string Partitions = "", string Nonce = "", string Lines = "", string? Raw = null)
{
    public static readonly ClaimReply Unknown = new(ClaimStatus.Unknown);

    /// <summary>Interprets the previous value a single-partition claim's SET NX GET returned.</summary>
    public static ClaimReply FromPrevious(string? previous, string fingerprint, string nonce)
    {
        if (ClaimValue.Parse(previous) is not { } claim || claim.Nonce == nonce)
        {
            return new ClaimReply(ClaimStatus.New);
        }

        if (claim.State == "tomb")
        {
            return new ClaimReply(ClaimStatus.Tomb, "tomb");
        }

        return claim.Fingerprint == fingerprint
            ? new ClaimReply(ClaimStatus.Same, claim.State)
            : new ClaimReply(ClaimStatus.Conflict, claim.State, claim.Partitions, claim.Nonce, claim.Lines, previous);
    }

    public static ClaimReply Parse(RedisResult result)
    {
        var reply = (RedisResult[])result!;
        string At(int i) => reply.Length > i ? (string?)reply[i] ?? "" : "";
        return At(0) switch
        {
            "new" => new ClaimReply(ClaimStatus.New),
            "same" => new ClaimReply(ClaimStatus.Same, At(1)),
            "attempt" => new ClaimReply(ClaimStatus.Attempt, At(1)),
            "tomb" => new ClaimReply(ClaimStatus.Tomb, "tomb"),
            "conflict" => new ClaimReply(ClaimStatus.Conflict, At(1), At(2), At(3), At(4)),
            _ => throw new InvalidOperationException($"Unexpected claim reply '{At(0)}'."),
        };
    }
}
