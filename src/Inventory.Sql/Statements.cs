using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Inventory.Sql;

/// <summary>
/// The names of the SQL files under Sql/Postgres and Sql/SqlServer: the same name is the same statement in each
/// dialect, so a reader finds the claim query's twin beside it.
/// </summary>
public static class Statements
{
    public const string MigrationLock = "migration_lock";
    public const string MigrationUnlock = "migration_unlock";
    public const string TaskInsert = "task_insert";
    public const string TaskInsertClaimed = "task_insert_claimed";
    public const string TaskClaim = "task_claim";
    public const string TaskRenew = "task_renew";
    public const string TaskAddChildren = "task_add_children";
    public const string TaskComplete = "task_complete";
    public const string TaskFail = "task_fail";
    public const string TaskChildDone = "task_child_done";
    public const string TaskUnlockStale = "task_unlock_stale";
    public const string TaskPrune = "task_prune";
    public const string TaskRetryDead = "task_retry_dead";
    public const string TaskStats = "task_stats";
    public const string TaskDead = "task_dead";
    public const string TaskFind = "task_find";
    public const string LedgerInsert = "ledger_insert";
    public const string LedgerByReference = "ledger_by_reference";
    public const string LedgerBySku = "ledger_by_sku";
    public const string LedgerHistory = "ledger_history";
    public const string LedgerOrder = "ledger_order";
    public const string LedgerLatest = "ledger_latest";
    public const string LedgerCount = "ledger_count";
    public const string LedgerAt = "ledger_at";
    public const string LedgerOrdersSince = "ledger_orders_since";
    public const string LedgerOrderIds = "ledger_order_ids";
    public const string LedgerPartitionOrders = "ledger_partition_orders";
    public const string LedgerPartitionCounts = "ledger_partition_counts";
    public const string LedgerCustomerTotals = "ledger_customer_totals";
    public const string LedgerOpenHolds = "ledger_open_holds";
    public const string LedgerHalfCancelled = "ledger_half_cancelled";
    public const string LedgerReservation = "ledger_reservation";
    public const string StockPage = "stock_page";
    public const string StockApply = "stock_apply";
    public const string StockGet = "stock_get";
    public const string CursorLock = "cursor_lock";
    public const string CursorAdvance = "cursor_advance";
    public const string CursorList = "cursor_list";
    public const string BenchSeedStock = "bench_seed_stock";
    public const string BenchNaiveApply = "bench_naive_apply";

    public static IReadOnlyList<string> All { get; } = typeof(Statements)
        .GetFields()
        .Where(f => f.IsLiteral)
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToArray();
}

/// <summary>One dialect's statements, loaded from embedded resources; task_NN becomes the shard's table.</summary>
public sealed partial class SqlStatements
{
    private readonly Dictionary<string, string> _byName;
    private readonly ConcurrentDictionary<(string, int), string> _byShard = new();

    public SqlStatements(SqlProvider provider)
    {
        Provider = provider;
        var prefix = $"Inventory.Sql.{DialectFolder(provider)}.";
        var assembly = typeof(SqlStatements).Assembly;
        _byName = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .ToDictionary(n => n[prefix.Length..^4], n => ReadResource(assembly, n), StringComparer.Ordinal);
    }

    public SqlProvider Provider { get; }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public static string DialectFolder(SqlProvider provider) => provider == SqlProvider.Postgres ? "Postgres" : "SqlServer";

    public static string TaskTable(int shard) => $"task_{shard:00}";

    public string Get(string name) =>
        _byName.TryGetValue(name, out var sql) ? sql : throw new KeyNotFoundException($"No {Provider} statement named '{name}'.");

    public string ForShard(string name, int shard) =>
        _byShard.GetOrAdd((name, shard), key => TaskTablePlaceholder().Replace(Get(key.Item1), TaskTable(key.Item2)));

    internal static string ReadResource(System.Reflection.Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"\btask_NN\b")]
    private static partial Regex TaskTablePlaceholder();
}
