using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;

namespace Inventory.LoadDriver;

/// <summary>What one client saw, one JSON line each: the checker's evidence of what was promised to customers.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(StockRecord), "stock")]
[JsonDerivedType(typeof(OrderRecord), "order")]
[JsonDerivedType(typeof(AdjustmentRecord), "adjustment")]
[JsonDerivedType(typeof(HistoryOp), "op")]
[JsonDerivedType(typeof(ResolutionRecord), "resolution")]
[JsonDerivedType(typeof(ReservationResolution), "reservation")]
public abstract record ClientRecord;

/// <summary>A SKU the driver stocked with PUT before the load (its first and only absolute set).</summary>
public sealed record StockRecord(string Sku, long Initial, bool Hot) : ClientRecord;

public sealed record LineRecord(string Sku, long Quantity);

/// <summary>
/// The final answer after retries with the same id. Status 0: no final answer (the client gave up on timeouts,
/// refused connections or 503s); the order may or may not have been deducted.
/// </summary>
public sealed record Answer(int Status, string? Body, int Attempts, long StartedMs, long FinishedMs, bool Replayed, string? LastError)
{
    [JsonIgnore]
    public bool IsFinal => Status is > 0 and < 500;
}

public sealed record OrderRecord(string OrderId, int Client, IReadOnlyList<LineRecord> Lines, Answer Answer, Answer? Cancel) : ClientRecord
{
    /// <summary>Units per SKU, summed as the server sums repeated lines.</summary>
    public Dictionary<string, long> UnitsBySku() =>
        Lines.GroupBy(l => l.Sku, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(l => l.Quantity), StringComparer.Ordinal);

    public long EndMs => Math.Max(Answer.FinishedMs, Cancel?.FinishedMs ?? 0);
}

public sealed record AdjustmentRecord(string AdjustmentId, string Sku, long Delta, Answer Answer) : ClientRecord;

/// <summary>A fault injected while the load ran: when, which, for how long (0 for instantaneous ones like a kill).</summary>
public sealed record FaultRecord(long AtMs, string Fault, long DurationMs);

public static class JsonLines
{
    private static readonly Lock AppendLock = new();

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        AllowOutOfOrderMetadataProperties = true,
    };

    public static IEnumerable<T> Read<T>(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return JsonSerializer.Deserialize<T>(line, Options) ?? throw new InvalidDataException($"{path}: null line");
            }
        }
    }

    public static void Append<T>(string path, T record)
    {
        lock (AppendLock)
        {
            File.AppendAllText(path, JsonSerializer.Serialize(record, Options) + "\n");
        }
    }

    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}

/// <summary>One writer for many clients: records go through a channel to a single file stream, flushed as they come.</summary>
public sealed class RecordWriter : IAsyncDisposable
{
    private readonly Channel<ClientRecord> _channel = Channel.CreateUnbounded<ClientRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _pump;

    public RecordWriter(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        _pump = PumpAsync(path);
    }

    public void Write(ClientRecord record) => _channel.Writer.TryWrite(record);

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _pump;
    }

    private async Task PumpAsync(string path)
    {
        await using var stream = new StreamWriter(path, append: false) { AutoFlush = false };
        await foreach (var batch in ReadBatchesAsync())
        {
            foreach (var record in batch)
            {
                await stream.WriteLineAsync(JsonSerializer.Serialize(record, JsonLines.Options));
            }

            // A driver killed mid-run still leaves every record it finished on disk.
            await stream.FlushAsync();
        }
    }

    private async IAsyncEnumerable<List<ClientRecord>> ReadBatchesAsync()
    {
        while (await _channel.Reader.WaitToReadAsync())
        {
            var batch = new List<ClientRecord>();
            while (batch.Count < 1000 && _channel.Reader.TryRead(out var record))
            {
                batch.Add(record);
            }

            yield return batch;
        }
    }
}
