using Inventory.Persistence;
using Inventory.Redis;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Hosting;

/// <summary>
/// Blocks a partition whose journal diverged from SQL by deleting its marker: its scripts then refuse changes
/// ("lost", 503) and <see cref="RedisRecovery"/> rebuilds it from SQL, in whichever process notices first. This is
/// found from data (the ledger), so it also catches the failover no process saw happen (restarted, scaled out).
/// </summary>
public sealed partial class RedisPartitionBlocker(RedisPartitionGuard guard, ILogger<RedisPartitionBlocker> logger) : IPartitionBlocker
{
    public async Task BlockAsync(int partition, IReadOnlyList<JournalEntry> divergent, IReadOnlyList<JournalEntry> renumbered, CancellationToken cancellationToken = default)
    {
        await guard.UnmarkAsync(partition).ConfigureAwait(false);
        LogDiverged(logger, partition, divergent.Count, Describe(divergent), renumbered.Count);
        foreach (var oversold in renumbered.Where(e => e.AvailableAfter < 0).GroupBy(e => e.Sku, StringComparer.Ordinal))
        {
            LogOversold(logger, partition, oversold.Key, -oversold.Last().AvailableAfter);
        }
    }

    private static string Describe(IReadOnlyList<JournalEntry> entries) =>
        string.Join(", ", entries.Take(20).Select(e => $"({e.Sku}, {e.Sequence}: {e.Kind} {e.ReferenceId} {e.Delta})"))
        + (entries.Count > 20 ? $" and {entries.Count - 20} more" : "");

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis partition {Partition} diverged from SQL: {Count} journal entries reuse sequences SQL holds with other content ({Entries}); " +
        "Redis lost changes SQL has (a lossy failover). The partition is blocked until rebuilt from SQL; {Renumbered} entries are recorded under new sequences after SQL's")]
    private static partial void LogDiverged(ILogger logger, int partition, int count, string entries, int renumbered);

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis partition {Partition}: both diverged histories sold SKU {Sku}; it is oversold by {Units} units (negative stock until restocked)")]
    private static partial void LogOversold(ILogger logger, int partition, string sku, long units);
}
