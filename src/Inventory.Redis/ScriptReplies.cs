using System.Globalization;
using Inventory.Domain;
using StackExchange.Redis;

namespace Inventory.Redis;

internal enum SlotStatus
{
    Deducted,
    Insufficient,
    /// <summary>A line would take the customer past the SKU's limitPerCustomer; nothing was written.</summary>
    LimitExceeded,
    UnknownSku,
    Conflict,
    Cancelled,
    /// <summary>A fence at this epoch or above: the claim moved on (rebound or aborted); nothing was deducted.</summary>
    Fenced,
    /// <summary>The script ran after its deadline and did nothing.</summary>
    Expired,
    /// <summary>Neither the command nor a back-check could tell what happened.</summary>
    Unknown,
    /// <summary>Refused, nothing changed: the journal is at its bound (SQL is behind) or the partition is being rebuilt.</summary>
    Backlog,
    /// <summary>Redis refused the script before it ran (OOM, READONLY, LOADING, ...): nothing changed.</summary>
    Refused,
}

/// <summary>What one partition answered for an order.</summary>
internal sealed record SlotReply(
    SlotStatus Status,
    IReadOnlyList<LineResult> Lines,
    bool Replayed = false,
    IReadOnlyList<ShortLine>? Short = null,
    IReadOnlyList<string>? UnknownSkus = null,
    string? StreamId = null,
    string? Cause = null,
    RedisRefusal? Refusal = null,
    IReadOnlyList<OverLimitLine>? OverLimit = null)
{
    public static readonly SlotReply Unknown = new(SlotStatus.Unknown, []);

    public static SlotReply Refused(RedisRefusal refusal) => new(SlotStatus.Refused, [], Cause: refusal.Cause, Refusal: refusal);

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
            case "limit_exceeded":
                var over = new List<OverLimitLine>();
                for (var i = 1; i + 3 < reply.Length; i += 4)
                {
                    over.Add(new OverLimitLine((string)reply[i]!, Long(reply[i + 1]), Long(reply[i + 2]), Long(reply[i + 3])));
                }

                return new SlotReply(SlotStatus.LimitExceeded, [], OverLimit: over);
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
                return new SlotReply(SlotStatus.Backlog, [], Cause: UnavailableCauses.JournalBacklog);
            case "lost":
                return new SlotReply(SlotStatus.Backlog, [], Cause: UnavailableCauses.Rebuilding);
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

        // Every deduction answer passes here: spans, not Split and LINQ.
        var lines = new List<LineResult>(1);
        var rest = encoded.AsSpan();
        while (true)
        {
            var comma = rest.IndexOf(',');
            var entry = comma < 0 ? rest : rest[..comma];
            var first = entry.IndexOf(' ');
            var second = first + 1 + entry[(first + 1)..].IndexOf(' ');
            var third = entry[(second + 1)..].IndexOf(' ');
            // "sku qty remaining": a fourth field would have been ignored by the split this replaced
            var remaining = third < 0 ? entry[(second + 1)..] : entry.Slice(second + 1, third);
            lines.Add(new LineResult(entry[..first].ToString(), long.Parse(entry[(first + 1)..second], CultureInfo.InvariantCulture),
                long.Parse(remaining, CultureInfo.InvariantCulture)));
            if (comma < 0)
            {
                return lines;
            }

            rest = rest[(comma + 1)..];
        }
    }

    private static long Long(RedisResult value) => long.Parse((string)value!, CultureInfo.InvariantCulture);
}

internal enum ClaimStatus
{
    /// <summary>Deduct at the epoch given.</summary>
    Go,
    /// <summary>A committed multi-partition order, or one restored from SQL.</summary>
    Deducted,
    /// <summary>Open with other lines: fence them at the epoch, then rebind.</summary>
    Rebind,
    Conflict,
    Cancelled,
    /// <summary>An abort is rolling this order back; a retry later reopens it.</summary>
    Busy,
    /// <summary>Absent, but the seen filter may know the id: SQL decides.</summary>
    Seen,
    /// <summary>The home partition lost its data and is being rebuilt.</summary>
    Lost,
    /// <summary>Redis did not answer.</summary>
    Unknown,
    /// <summary>Redis refused the claim script before it ran: nothing was claimed, nothing deducted.</summary>
    Refused,
}

internal sealed record ClaimReply(ClaimStatus Status, long Epoch = 0, string Fingerprint = "", int[]? Partitions = null, bool Restored = false, RedisRefusal? Refusal = null)
{
    public static readonly ClaimReply Unknown = new(ClaimStatus.Unknown);

    public static ClaimReply Refused(RedisRefusal refusal) => new(ClaimStatus.Refused, Refusal: refusal);

    public static ClaimReply Parse(RedisResult result)
    {
        var reply = (RedisResult[])result!;
        string At(int i) => reply.Length > i ? (string?)reply[i] ?? "" : "";
        long Epoch() => long.Parse(At(1), CultureInfo.InvariantCulture);
        return At(0) switch
        {
            "go" => new ClaimReply(ClaimStatus.Go, Epoch()),
            "deducted" => new ClaimReply(ClaimStatus.Deducted, Epoch(), Restored: At(2) == "1"),
            "rebind" => new ClaimReply(ClaimStatus.Rebind, Epoch(), At(2), PartitionList(At(3))),
            "conflict" => new ClaimReply(ClaimStatus.Conflict),
            "cancelled" => new ClaimReply(ClaimStatus.Cancelled),
            "busy" => new ClaimReply(ClaimStatus.Busy),
            "seen" => new ClaimReply(ClaimStatus.Seen),
            "lost" => new ClaimReply(ClaimStatus.Lost),
            "moved" => new ClaimReply(ClaimStatus.Unknown),
            _ => throw new InvalidOperationException($"Unexpected claim reply '{At(0)}'."),
        };
    }

    public static int[] PartitionList(string partitions) =>
        partitions.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
}
