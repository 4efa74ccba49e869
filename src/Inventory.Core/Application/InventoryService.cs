using Inventory.Domain;
using Inventory.Telemetry;

namespace Inventory.Application;

/// <summary>
/// The application's use cases, shared by both hosts: throttling in front of the stock authority. Each use case is
/// one span, and every deduction decision is counted here, where throttles and in-batch replays are decided too.
/// </summary>
public sealed class InventoryService(IInventoryStore store, HotSkuLimiter limiter, Partitioner partitioner, IOrderLedger ledger)
{
    public Partitioner Partitioner => partitioner;

    public async Task<DeductionOutcome> DeductAsync(DeductionRequest request, CancellationToken cancellationToken = default)
    {
        using var activity = InventoryTelemetry.StartDeduction(request.OrderId);
        try
        {
            var order = Order.Create(request, partitioner);
            var throttled = await ThrottleAsync(order, cancellationToken).ConfigureAwait(false);
            var outcome = throttled ?? await store.DeductAsync(order, cancellationToken).ConfigureAwait(false);
            return InventoryTelemetry.Deduction(activity, outcome, order.Lines.Count);
        }
        catch (Exception e) when (InventoryTelemetry.Failed(activity, e))
        {
            throw;
        }
    }

    /// <summary>Results in request order; a repeated id inside the batch is answered as a replay of its first use.</summary>
    public async Task<IReadOnlyList<DeductionOutcome>> DeductBatchAsync(IReadOnlyList<DeductionRequest> requests, CancellationToken cancellationToken = default)
    {
        using var activity = InventoryTelemetry.StartBatch(requests.Count);
        try
        {
            var results = await DeductBatchCoreAsync(requests, cancellationToken).ConfigureAwait(false);
            return InventoryTelemetry.Batch(activity, results, requests.Sum(r => r.Lines.Count));
        }
        catch (Exception e) when (InventoryTelemetry.Failed(activity, e))
        {
            throw;
        }
    }

    private async Task<IReadOnlyList<DeductionOutcome>> DeductBatchCoreAsync(IReadOnlyList<DeductionRequest> requests, CancellationToken cancellationToken)
    {
        var orders = requests.Select(r => Order.Create(r, partitioner)).ToList();
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        var results = new DeductionOutcome?[orders.Count];
        var toSend = new List<int>();
        for (var i = 0; i < orders.Count; i++)
        {
            if (first.TryAdd(orders[i].OrderId, i))
            {
                results[i] = await ThrottleAsync(orders[i], cancellationToken).ConfigureAwait(false);
                if (results[i] is null)
                {
                    toSend.Add(i);
                }
            }
        }

        var sent = await store.DeductManyAsync(toSend.Select(i => orders[i]).ToList(), cancellationToken).ConfigureAwait(false);
        for (var j = 0; j < toSend.Count; j++)
        {
            results[toSend[j]] = sent[j];
        }

        for (var i = 0; i < orders.Count; i++)
        {
            var original = first[orders[i].OrderId];
            if (original != i)
            {
                results[i] = orders[original].Fingerprint == orders[i].Fingerprint
                    ? results[original]! with { Replayed = true }
                    : DeductionOutcome.Simple(orders[i].OrderId, DeductionStatus.Conflict);
            }
        }

        return results!;
    }

    /// <summary>Redis answers while it remembers the order; after its records expire, SQL's ledger does.</summary>
    public async Task<OrderView?> GetOrderAsync(string orderId, CancellationToken cancellationToken = default)
    {
        var view = await store.GetOrderAsync(orderId, cancellationToken).ConfigureAwait(false);
        if (view is null)
        {
            return await ledger.FindAsync(orderId, cancellationToken).ConfigureAwait(false);
        }

        return view with { Persisted = await ledger.IsPersistedAsync(view, cancellationToken).ConfigureAwait(false) };
    }

    public async Task<CancelOutcome> CancelAsync(string orderId, CancellationToken cancellationToken = default)
    {
        using var activity = InventoryTelemetry.StartCancel(orderId);
        try
        {
            return InventoryTelemetry.Cancel(activity, await CancelCoreAsync(orderId, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (InventoryTelemetry.Failed(activity, e))
        {
            throw;
        }
    }

    /// <summary>The store asks SQL's ledger itself for an id Redis forgot, so a cancel restocks once, ever.</summary>
    private Task<CancelOutcome> CancelCoreAsync(string orderId, CancellationToken cancellationToken) =>
        store.CancelAsync(orderId, cancellationToken);

    /// <summary>Like a cancel, the store asks SQL itself for an order Redis forgot, so a return restocks once, ever.</summary>
    public Task<ReturnOutcome> ReturnAsync(ReturnRequest request, CancellationToken cancellationToken = default) =>
        store.ReturnAsync(request, cancellationToken);

    public Task<HoldOutcome> HoldAsync(HoldRequest request, CancellationToken cancellationToken = default) =>
        store.HoldAsync(request, cancellationToken);

    public Task<HoldSettleOutcome> CommitHoldAsync(string reservationId, string orderId, CancellationToken cancellationToken = default) =>
        store.CommitHoldAsync(reservationId, orderId, cancellationToken);

    public Task<HoldSettleOutcome> ReleaseHoldAsync(string reservationId, CancellationToken cancellationToken = default) =>
        store.ReleaseHoldAsync(reservationId, cancellationToken);

    public Task<HoldView?> GetHoldAsync(string reservationId, CancellationToken cancellationToken = default) =>
        store.GetHoldAsync(reservationId, cancellationToken);

    public Task<IReadOnlyList<StockLevel?>> GetStockAsync(IReadOnlyList<string> skus, CancellationToken cancellationToken = default) =>
        store.GetStockAsync(skus, cancellationToken);

    /// <param name="limitPerCustomer">Null: no limit (a set always states the whole configuration).</param>
    public async Task<StockChange> SetStockAsync(string sku, long available, long? expectedAvailable, long? limitPerCustomer = null, CancellationToken cancellationToken = default)
    {
        using var activity = InventoryTelemetry.StartStockChange("inventory.stock.set", sku);
        try
        {
            return InventoryTelemetry.StockChanged(activity, await store.SetStockAsync(sku, available, expectedAvailable, limitPerCustomer, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (InventoryTelemetry.Failed(activity, e))
        {
            throw;
        }
    }

    public async Task<StockChange> AdjustAsync(string sku, string adjustmentId, long delta, string reason, CancellationToken cancellationToken = default)
    {
        using var activity = InventoryTelemetry.StartStockChange("inventory.stock.adjust", sku, adjustmentId);
        try
        {
            return InventoryTelemetry.StockChanged(activity, await store.AdjustAsync(sku, adjustmentId, delta, reason, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (InventoryTelemetry.Failed(activity, e))
        {
            throw;
        }
    }

    /// <summary>A throttled request that repeats an order already decided gets its original answer, never a 429.</summary>
    private async Task<DeductionOutcome?> ThrottleAsync(Order order, CancellationToken cancellationToken)
    {
        if (!limiter.Enabled)
        {
            // off by default: no SKU list to build per order
            return null;
        }

        var retryAfter = await limiter.TryAcquireAsync(order.Lines.Select(l => l.Sku), cancellationToken).ConfigureAwait(false);
        if (retryAfter is null)
        {
            return null;
        }

        return await store.FindReplayAsync(order, cancellationToken).ConfigureAwait(false)
            ?? new DeductionOutcome(order.OrderId, DeductionStatus.Throttled, [], RetryAfter: retryAfter);
    }
}
