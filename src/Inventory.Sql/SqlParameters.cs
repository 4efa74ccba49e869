using System.Text.Json;
using Dapper;
using Inventory.Persistence;

namespace Inventory.Sql;

/// <summary>
/// Parameters both dialects read the same way: sets travel as one JSON text (jsonb / OPENJSON), so each statement
/// has one parameter list whatever the provider.
/// </summary>
internal static class SqlParameters
{
    // Identifier columns are varchar: an nvarchar parameter would make SQL Server convert the column side.
    public static DbString Ansi(string? value) => new() { Value = value, IsAnsi = true, Length = -1 };

    public static string Ids(IReadOnlyCollection<long> ids) => JsonSerializer.Serialize(ids);

    public static string Strings(IReadOnlyCollection<string> values) => JsonSerializer.Serialize(values);

    public static string Entries(IReadOnlyList<JournalEntry> entries) => JsonSerializer.Serialize(entries.Select(e => new
    {
        sku = e.Sku,
        seq = e.Sequence,
        journal_partition = e.Partition,
        stream_id = e.StreamId,
        kind = e.Kind,
        reference_id = e.ReferenceId,
        delta = e.Delta,
        available_after = e.AvailableAfter,
        reason = e.Reason,
        journal_ms = e.TimestampMs,
        customer_id = e.CustomerId,
        limit_per_customer = e.LimitPerCustomer,
    }));

    public static int Milliseconds(TimeSpan span) => (int)Math.Clamp(span.TotalMilliseconds, 0, int.MaxValue);
}
