using System.Data.Common;
using Dapper;
using Inventory.Persistence;
using static Inventory.Sql.SqlParameters;

namespace Inventory.Sql;

/// <summary>One READ COMMITTED transaction; every fenced statement that matches fewer rows than it must throws.</summary>
internal sealed class SqlTaskTransaction : ITaskTransaction
{
    private readonly SqlDatabase _database;
    private readonly DbConnection _connection;
    private readonly DbTransaction _transaction;

    private SqlTaskTransaction(SqlDatabase database, DbConnection connection, DbTransaction transaction)
    {
        _database = database;
        _connection = connection;
        _transaction = transaction;
    }

    private SqlStatements Sql => _database.Statements;

    public static async Task<SqlTaskTransaction> BeginAsync(SqlDatabase database, CancellationToken cancellationToken)
    {
        var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            return new SqlTaskTransaction(database, connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task RenewAsync(int shard, IReadOnlyCollection<long> ids, Guid token, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var renewed = await SqlTaskStore.RenewAsync(_database, _connection, _transaction, shard, ids, token, lease, cancellationToken).ConfigureAwait(false);
        Fence(renewed, ids.Count, shard, ids, "renew");
    }

    public Task<string> LockCursorAsync(int partition, CancellationToken cancellationToken = default) =>
        _connection.QuerySingleAsync<string>(Command(Sql.Get(Statements.CursorLock), new { partition }, cancellationToken));

    public async Task AdvanceCursorAsync(int partition, string persistedThrough, CancellationToken cancellationToken = default)
    {
        var updated = await _connection.ExecuteAsync(Command(
            Sql.Get(Statements.CursorAdvance), new { partition, persisted_through = Ansi(persistedThrough) }, cancellationToken)).ConfigureAwait(false);
        if (updated != 1)
        {
            throw new InvalidOperationException($"The cursor of partition {partition} must be locked before it is advanced.");
        }
    }

    public async Task<LedgerInsertResult> InsertLedgerAsync(long taskId, IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        if (entries.Count == 0)
        {
            return new LedgerInsertResult(0, []);
        }

        var row = await _connection.QuerySingleAsync<InsertRow>(Command(
            Sql.Get(Statements.LedgerInsert), new { task_id = taskId, rows = Entries(entries) }, cancellationToken)).ConfigureAwait(false);
        var divergent = row.Divergent is null
            ? []
            : System.Text.Json.JsonSerializer.Deserialize<List<LedgerKey>>(row.Divergent)!.Select(k => (k.Sku, k.Seq)).ToList();
        return new LedgerInsertResult(row.Inserted, divergent);
    }

    public async Task<IReadOnlyList<LedgerPoint>> GetLatestLedgerAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken = default) =>
        skus.Count == 0
            ? []
            : (await _connection.QueryAsync<LedgerPoint>(Command(Sql.Get(Statements.LedgerLatest), new { skus = Strings(skus) }, cancellationToken)).ConfigureAwait(false)).ToList();

    public Task<long?> InsertTaskAsync(int shard, NewTask task, CancellationToken cancellationToken = default) =>
        SqlTaskStore.InsertTaskAsync(_database, _connection, _transaction, shard, task, cancellationToken);

    public async Task AddChildrenAsync(int shard, long id, Guid token, int count, CancellationToken cancellationToken = default)
    {
        var updated = await _connection.ExecuteAsync(Command(
            Sql.ForShard(Statements.TaskAddChildren, shard), new { id, token, count }, cancellationToken)).ConfigureAwait(false);
        Fence(updated, 1, shard, [id], "add children to");
    }

    public async Task CompleteAsync(int shard, IReadOnlyCollection<long> ids, Guid token, CancellationToken cancellationToken = default)
    {
        var completed = await _connection.ExecuteAsync(Command(
            Sql.ForShard(Statements.TaskComplete, shard), new { ids = Ids(ids), token }, cancellationToken)).ConfigureAwait(false);
        Fence(completed, ids.Count, shard, ids, "complete");
    }

    public Task ChildrenDoneAsync(int parentShard, long parentId, int count, CancellationToken cancellationToken = default) =>
        _connection.ExecuteAsync(Command(
            Sql.ForShard(Statements.TaskChildDone, parentShard), new { parent_id = parentId, count }, cancellationToken));

    public Task<int> ApplyStockAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken = default) =>
        skus.Count == 0
            ? Task.FromResult(0)
            : _connection.ExecuteScalarAsync<int>(Command(Sql.Get(Statements.StockApply), new { skus = Strings(skus) }, cancellationToken));

    public async Task<IReadOnlyList<StockRow>> GetStockAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken = default) =>
        (await _connection.QueryAsync<StockRow>(Command(Sql.Get(Statements.StockGet), new { skus = Strings(skus) }, cancellationToken)).ConfigureAwait(false)).ToList();

    public Task CommitAsync(CancellationToken cancellationToken = default) => _transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // Disposing an uncommitted transaction rolls it back: the only outcome a lost lease or a failure may have.
        await _transaction.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private CommandDefinition Command(string sql, object? parameters, CancellationToken cancellationToken) =>
        _database.Command(sql, parameters, _transaction, cancellationToken);

    private static void Fence(int matched, int expected, int shard, IEnumerable<long> ids, string what)
    {
        if (matched != expected)
        {
            throw new LeaseLostException(
                $"Could not {what} task(s) {string.Join(',', ids)} in {SqlStatements.TaskTable(shard)}: {matched} of {expected} still carry this lease.");
        }
    }

    private sealed record InsertRow(int Inserted, string? Divergent);

    private sealed record LedgerKey(
        [property: System.Text.Json.Serialization.JsonPropertyName("sku")] string Sku,
        [property: System.Text.Json.Serialization.JsonPropertyName("seq")] long Seq);
}
