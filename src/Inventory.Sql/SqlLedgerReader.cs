using Dapper;
using Inventory.Persistence;
using static Inventory.Sql.SqlParameters;

namespace Inventory.Sql;

public sealed class SqlLedgerReader(SqlDatabase database) : ILedgerReader
{
    private SqlStatements Sql => database.Statements;

    public async Task<IReadOnlyList<LedgerRow>> FindByReferenceAsync(string referenceId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<LedgerRow>(database.Command(
            Sql.Get(Statements.LedgerByReference), new { reference_id = Ansi(referenceId) }, null, cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<IReadOnlyList<LedgerRow>> GetReservationRowsAsync(string reservationId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<LedgerRow>(database.Command(
            Sql.Get(Statements.LedgerReservation), new { reference_id = Ansi(reservationId) }, null, cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<IReadOnlyList<OrderLedgerLine>> GetOrderLinesAsync(string orderId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<OrderLedgerLine>(database.Command(
            Sql.Get(Statements.LedgerOrder), new { reference_id = Ansi(orderId) }, null, cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<IReadOnlyList<LedgerRow>> GetSkuHistoryAsync(string sku, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<LedgerRow>(database.Command(
            Sql.Get(Statements.LedgerBySku), new { sku = Ansi(sku), limit }, null, cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<IReadOnlyList<LedgerRow>> GetSkuHistoryPageAsync(string sku, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<LedgerRow>(database.Command(
            Sql.Get(Statements.LedgerHistory), new { sku = Ansi(sku), after = afterSeq, limit }, null, cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<IReadOnlyList<StockRow>> GetStockAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<StockRow>(database.Command(
            Sql.Get(Statements.StockGet), new { skus = Strings(skus) }, null, cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<IReadOnlyList<JournalCursor>> GetCursorsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<JournalCursor>(database.Command(
            Sql.Get(Statements.CursorList), null, null, cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<IReadOnlyList<LedgerPoint>> GetAvailableAtAsync(IReadOnlyCollection<(string Sku, long Seq)> points, CancellationToken cancellationToken = default)
    {
        if (points.Count == 0)
        {
            return [];
        }

        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var json = System.Text.Json.JsonSerializer.Serialize(points.Select(p => new { sku = p.Sku, seq = p.Seq }));
        return (await connection.QueryAsync<LedgerPoint>(database.Command(
            Sql.Get(Statements.LedgerAt), new { points = json }, null, cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<IReadOnlyList<StockRow>> GetStockPageAsync(string afterSku, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<StockRow>(database.Command(
            Sql.Get(Statements.StockPage), new { after = Ansi(afterSku), limit }, null, cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<IReadOnlyList<LedgerRow>> GetOrderRowsSinceAsync(DateTime since, string afterSku, long afterSeq, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<LedgerRow>(database.Command(
            Sql.Get(Statements.LedgerOrdersSince), new { since, after_sku = Ansi(afterSku), after_seq = afterSeq, limit }, null, cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<long> CountLedgerAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long>(database.Command(
            Sql.Get(Statements.LedgerCount), null, null, cancellationToken)).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<string> StreamOrderIdsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // A plain data reader, not Dapper: this streams every order id in the ledger (millions), and no partition opens
        // before it ends (issue 12), so the per-row cost is the wait.
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = Sql.Get(Statements.LedgerOrderIds);
        command.CommandTimeout = StreamTimeoutSeconds;
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return reader.GetString(0);
        }
    }

    public async IAsyncEnumerable<LedgerRow> StreamPartitionOrderRowsAsync(int partition, DateTime since, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var row in connection.QueryUnbufferedAsync<LedgerRow>(Sql.Get(Statements.LedgerPartitionOrders), new { partition, since }, null, StreamTimeoutSeconds)
            .WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return row;
        }
    }

    public async IAsyncEnumerable<LedgerRow> StreamOpenHoldRowsAsync(DateTime since, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var row in connection.QueryUnbufferedAsync<LedgerRow>(Sql.Get(Statements.LedgerOpenHolds), new { since }, null, StreamTimeoutSeconds)
            .WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return row;
        }
    }

    public async Task<IReadOnlyDictionary<int, long>> CountOrderRowsByPartitionAsync(DateTime since, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(int Partition, long Rows)>(database.Command(
            Sql.Get(Statements.LedgerPartitionCounts), new { since }, null, cancellationToken)).ConfigureAwait(false);
        return rows.ToDictionary(r => r.Partition, r => r.Rows);
    }

    public async Task<IReadOnlyList<string>> GetHalfCancelledOrdersAsync(DateTime since, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<string>(new CommandDefinition(
            Sql.Get(Statements.LedgerHalfCancelled), new { since }, commandTimeout: StreamTimeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
    }

    public async Task<IReadOnlyList<CustomerTakenRow>> GetCustomerTakenAsync(int partition, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<CustomerTakenRow>(new CommandDefinition(
            Sql.Get(Statements.LedgerCustomerTotals), new { partition }, commandTimeout: StreamTimeoutSeconds, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
    }

    /// <summary>A streamed read lasts as long as its consumer takes; the ordinary command timeout would cut it off.</summary>
    private const int StreamTimeoutSeconds = 0;
}
