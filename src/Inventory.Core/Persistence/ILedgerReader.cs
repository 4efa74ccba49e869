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

    /// <summary>
    /// Every order id the ledger holds, one per row (so with repeats), and every reservation id as "hold/&lt;id&gt;",
    /// streamed: the seen filters of lost home partitions are refilled from it without holding the ledger in memory.
    /// </summary>
    IAsyncEnumerable<string> StreamOrderIdsAsync(CancellationToken cancellationToken = default);

    /// <summary>One journal partition's deduct, cancel and void rows since a time, ordered by order id, then SKU and sequence; streamed.</summary>
    IAsyncEnumerable<LedgerRow> StreamPartitionOrderRowsAsync(int partition, DateTime since, CancellationToken cancellationToken = default);

    /// <summary>
    /// Per customer and SKU of one journal partition, the units the customer holds by the whole ledger (deductions
    /// less cancels, voids and returns), zeros included: for rebuilding the per-customer counters.
    /// </summary>
    Task<IReadOnlyList<CustomerTakenRow>> GetCustomerTakenAsync(int partition, CancellationToken cancellationToken = default);
    /// Hold rows since a time with no later release, expire or commit of their reservation on their SKU: the
    /// reservations still held, ordered by reservation id, then SKU; streamed. For restoring them after data loss.
    /// </summary>
    IAsyncEnumerable<LedgerRow> StreamOpenHoldRowsAsync(DateTime since, CancellationToken cancellationToken = default);

    /// <summary>
    /// Orders with a cancel since a time that still stand in some SKU: cancels decided on a claim and not yet restocked
    /// everywhere. For putting them back in a lost home's open cancels.
    /// </summary>
    Task<IReadOnlyList<string>> GetHalfCancelledOrdersAsync(DateTime since, CancellationToken cancellationToken = default);

    /// <summary>
    /// A reservation's hold, release and expire rows and the commit rows naming it after its hold rows: how it ended,
    /// for answering it once Redis lost its home (<see cref="HoldLedgerView"/>).
    /// </summary>
    Task<IReadOnlyList<LedgerRow>> GetReservationRowsAsync(string reservationId, CancellationToken cancellationToken = default);

    /// <summary>Deduct, cancel and void rows per journal partition since a time.</summary>
    Task<IReadOnlyDictionary<int, long>> CountOrderRowsByPartitionAsync(DateTime since, CancellationToken cancellationToken = default);
}
