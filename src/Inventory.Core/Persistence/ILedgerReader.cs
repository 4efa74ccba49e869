namespace Inventory.Persistence;

/// <summary>Reads what SQL remembers: the ledger (why a SKU is at N, what happened to an order), stock, cursors.</summary>
public interface ILedgerReader
{
    /// <summary>Every ledger row of an order or adjustment id, oldest first; answers GET/cancel once Redis has forgotten the id.</summary>
    Task<IReadOnlyList<LedgerRow>> FindByReferenceAsync(string referenceId, CancellationToken cancellationToken = default);

    /// <summary>Per SKU of an order, its latest row by sequence and its latest deduction: see <see cref="OrderLedgerView"/>.</summary>
    Task<IReadOnlyList<OrderLedgerLine>> GetOrderLinesAsync(string orderId, CancellationToken cancellationToken = default);

    /// <summary>The latest <paramref name="limit"/> rows of a SKU, newest first.</summary>
    Task<IReadOnlyList<LedgerRow>> GetSkuHistoryAsync(string sku, int limit, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> rows of a SKU with sequence above <paramref name="afterSeq"/>, oldest first: a page of its history.</summary>
    Task<IReadOnlyList<LedgerRow>> GetSkuHistoryPageAsync(string sku, long afterSeq, int limit, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StockRow>> GetStockAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<JournalCursor>> GetCursorsAsync(CancellationToken cancellationToken = default);

    Task<long> CountLedgerAsync(CancellationToken cancellationToken = default);

    /// <summary>Stock rows in SKU order after <paramref name="afterSku"/> ("" for the start): for rebuilding Redis.</summary>
    Task<IReadOnlyList<StockRow>> GetStockPageAsync(string afterSku, int limit, CancellationToken cancellationToken = default);

    /// <summary>Deduct, cancel, void and return rows journaled since <paramref name="since"/>, in (SKU, seq) order after the given key: for restoring idempotency records.</summary>
    Task<IReadOnlyList<LedgerRow>> GetOrderRowsSinceAsync(DateTime since, string afterSku, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>The stock right after each given (SKU, sequence), for those SQL's ledger already holds.</summary>
    Task<IReadOnlyList<LedgerPoint>> GetAvailableAtAsync(IReadOnlyCollection<(string Sku, long Seq)> points, CancellationToken cancellationToken = default);
}
