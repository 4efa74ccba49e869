using System.Diagnostics;
using Inventory.Application;
using Inventory.Domain;
using Inventory.Telemetry;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Telemetry;

/// <summary>
/// Wraps the Redis store: each call is timed (inventory.redis.latency), traced as a Redis dependency span, and its
/// decision logged with the order id and SKU as properties. Deduction outcomes are counted one level up, in
/// <see cref="InventoryService"/>, which also sees throttles and in-batch replays.
/// </summary>
/// <remarks>
/// Logged at Information or Warning: what operators act on (unknown outcomes, conflicts, cancels, stock changes,
/// recoveries). Routine or sustained outcomes (deducted, out of stock, unknown SKU, unavailable) are Debug: at
/// flash-sale rates they would be one log line per order, and the counters already carry them.
/// </remarks>
public sealed partial class InstrumentedInventoryStore(IInventoryStore inner, ILogger<InstrumentedInventoryStore> logger) : IInventoryStore
{
    public async Task<DeductionOutcome> DeductAsync(Order order, CancellationToken cancellationToken = default)
    {
        var outcome = await TimeAsync("deduct", () => inner.DeductAsync(order, cancellationToken), o => o.Status == DeductionStatus.Unknown).ConfigureAwait(false);
        Log(outcome);
        return outcome;
    }

    public async Task<IReadOnlyList<DeductionOutcome>> DeductManyAsync(IReadOnlyList<Order> orders, CancellationToken cancellationToken = default)
    {
        var outcomes = await TimeAsync("deduct_many", () => inner.DeductManyAsync(orders, cancellationToken), o => o.Any(x => x.Status == DeductionStatus.Unknown)).ConfigureAwait(false);
        foreach (var outcome in outcomes)
        {
            Log(outcome);
        }

        return outcomes;
    }

    public Task<DeductionOutcome?> FindReplayAsync(Order order, CancellationToken cancellationToken = default) =>
        TimeAsync("find_replay", () => inner.FindReplayAsync(order, cancellationToken));

    public Task<OrderView?> GetOrderAsync(string orderId, CancellationToken cancellationToken = default) =>
        TimeAsync("get_order", () => inner.GetOrderAsync(orderId, cancellationToken));

    public async Task<CancelOutcome> CancelAsync(string orderId, CancellationToken cancellationToken = default)
    {
        var outcome = await TimeAsync("cancel", () => inner.CancelAsync(orderId, cancellationToken), o => o.Status == CancelStatus.Unknown).ConfigureAwait(false);
        Log(outcome);
        return outcome;
    }

    public async Task<ReturnOutcome> ReturnAsync(ReturnRequest request, CancellationToken cancellationToken = default)
    {
        var outcome = await TimeAsync("return", () => inner.ReturnAsync(request, cancellationToken), o => o.Status == ReturnStatus.Unknown).ConfigureAwait(false);
        LogReturn(logger, outcome.OrderId, outcome.ReturnId, outcome.Status, outcome.Replayed, outcome.Lines.Sum(l => l.Quantity));
        return outcome;
    }

    public async Task<HoldOutcome> HoldAsync(HoldRequest request, CancellationToken cancellationToken = default)
    {
        var outcome = await TimeAsync("hold", () => inner.HoldAsync(request, cancellationToken), o => o.Status == HoldStatus.Unknown).ConfigureAwait(false);
        LogHold(logger, outcome.ReservationId, outcome.Status, outcome.Replayed, outcome.Lines.Sum(l => l.Quantity));
        return outcome;
    }

    public async Task<HoldSettleOutcome> CommitHoldAsync(string reservationId, string orderId, CancellationToken cancellationToken = default)
    {
        var outcome = await TimeAsync("hold_commit", () => inner.CommitHoldAsync(reservationId, orderId, cancellationToken), o => o.Status == HoldSettleStatus.Unknown).ConfigureAwait(false);
        LogHoldSettled(logger, reservationId, "commit", outcome.Status, outcome.Replayed, orderId);
        return outcome;
    }

    public async Task<HoldSettleOutcome> ReleaseHoldAsync(string reservationId, CancellationToken cancellationToken = default)
    {
        var outcome = await TimeAsync("hold_release", () => inner.ReleaseHoldAsync(reservationId, cancellationToken), o => o.Status == HoldSettleStatus.Unknown).ConfigureAwait(false);
        LogHoldSettled(logger, reservationId, "release", outcome.Status, outcome.Replayed, null);
        return outcome;
    }

    public Task<HoldView?> GetHoldAsync(string reservationId, CancellationToken cancellationToken = default) =>
        TimeAsync("get_hold", () => inner.GetHoldAsync(reservationId, cancellationToken));

    public async Task<int> ExpireHoldsAsync(CancellationToken cancellationToken = default)
    {
        var expired = await TimeAsync("expire_holds", () => inner.ExpireHoldsAsync(cancellationToken)).ConfigureAwait(false);
        if (expired > 0)
        {
            LogHoldsExpired(logger, expired);
        }

        return expired;
    }

    public Task<IReadOnlyList<StockLevel?>> GetStockAsync(IReadOnlyList<string> skus, CancellationToken cancellationToken = default) =>
        TimeAsync("get_stock", () => inner.GetStockAsync(skus, cancellationToken));

    public async Task<StockChange> SetStockAsync(string sku, long available, long? expectedAvailable, long? limitPerCustomer = null, CancellationToken cancellationToken = default)
    {
        var change = await TimeAsync("set_stock", () => inner.SetStockAsync(sku, available, expectedAvailable, limitPerCustomer, cancellationToken)).ConfigureAwait(false);
        LogStockSet(logger, change.Sku, change.Status, change.Available);
        return change;
    }

    public async Task<StockChange> AdjustAsync(string sku, string adjustmentId, long delta, string reason, CancellationToken cancellationToken = default)
    {
        var change = await TimeAsync("adjust", () => inner.AdjustAsync(sku, adjustmentId, delta, reason, cancellationToken)).ConfigureAwait(false);
        LogAdjusted(logger, change.Sku, adjustmentId, delta, reason, change.Status, change.Replayed, change.Available);
        return change;
    }

    public async Task<int> RecoverAbandonedOrdersAsync(CancellationToken cancellationToken = default)
    {
        var recovered = await TimeAsync("recover_orders", () => inner.RecoverAbandonedOrdersAsync(cancellationToken)).ConfigureAwait(false);
        if (recovered > 0)
        {
            LogRecovered(logger, recovered);
        }

        return recovered;
    }

    public Task<DependencyHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => inner.CheckHealthAsync(cancellationToken);

    private static async Task<T> TimeAsync<T>(string operation, Func<Task<T>> call, Func<T, bool>? failed = null)
    {
        using var activity = InventoryTelemetry.StartRedisCall(operation);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await call().ConfigureAwait(false);
            if (failed?.Invoke(result) == true)
            {
                // The store turned a timeout or lost connection into "unknown": a failed Redis round trip all the same.
                if (activity is not null)
                {
                    InventoryTelemetry.Fail(activity, "outcome unknown");
                }
            }

            return result;
        }
        catch (Exception e) when (InventoryTelemetry.Failed(activity, e))
        {
            throw;
        }
        finally
        {
            InventoryTelemetry.RecordRedisLatency(operation, Stopwatch.GetElapsedTime(started));
        }
    }

    private void Log(DeductionOutcome outcome)
    {
        switch (outcome.Status)
        {
            case DeductionStatus.Deducted:
                LogDeducted(logger, outcome.OrderId, outcome.Lines.Count, outcome.Replayed);
                break;
            case DeductionStatus.Insufficient:
                foreach (var line in outcome.Short ?? [])
                {
                    LogInsufficient(logger, outcome.OrderId, line.Sku, line.Requested, line.Available);
                }

                break;
            case DeductionStatus.UnknownSku:
                foreach (var sku in outcome.UnknownSkus ?? [])
                {
                    LogUnknownSku(logger, outcome.OrderId, sku);
                }

                break;
            case DeductionStatus.Unknown:
                LogUnknownOutcome(logger, outcome.OrderId);
                break;
            case DeductionStatus.Unavailable:
                // Sustained while the journal bound holds or a partition is rebuilt: the counter carries the rate.
                LogUnavailable(logger, outcome.OrderId);
                break;
            default:
                LogRefused(logger, outcome.OrderId, InventoryTelemetry.ReasonOf(outcome.Status));
                break;
        }
    }

    private void Log(CancelOutcome outcome)
    {
        if (outcome.Status == CancelStatus.Unknown)
        {
            LogCancelUnknown(logger, outcome.OrderId);
            return;
        }

        LogCancelled(logger, outcome.OrderId, outcome.Status, outcome.Replayed, outcome.Lines.Count);
        foreach (var line in outcome.Lines)
        {
            LogRestocked(logger, outcome.OrderId, line.Sku, line.Quantity, line.Remaining);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Order {OrderId} deducted: {SkuCount} SKUs (replayed: {Replayed})")]
    private static partial void LogDeducted(ILogger logger, string orderId, int skuCount, bool replayed);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Order {OrderId} not deducted: SKU {Sku} has {Available}, {Requested} requested")]
    private static partial void LogInsufficient(ILogger logger, string orderId, string sku, long requested, long available);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Order {OrderId} not deducted: SKU {Sku} was never stocked")]
    private static partial void LogUnknownSku(ILogger logger, string orderId, string sku);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Order {OrderId} not deducted: refused before anything changed (unavailable); safe to retry")]
    private static partial void LogUnavailable(ILogger logger, string orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} not deducted: {Reason}")]
    private static partial void LogRefused(ILogger logger, string orderId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId}: outcome unknown after a Redis failure; the client may retry with the same id")]
    private static partial void LogUnknownOutcome(ILogger logger, string orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancel of order {OrderId}: {Status} (replayed: {Replayed}), {SkuCount} SKUs restocked")]
    private static partial void LogCancelled(ILogger logger, string orderId, CancelStatus status, bool replayed, int skuCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} restocked {Quantity} of SKU {Sku}, now {Available}")]
    private static partial void LogRestocked(ILogger logger, string orderId, string sku, long quantity, long available);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cancel of order {OrderId}: outcome unknown after a Redis failure; the client may retry")]
    private static partial void LogCancelUnknown(ILogger logger, string orderId);

    // Debug: a hold is a checkout step, as frequent as deductions at flash-sale rates.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Reservation {ReservationId}: {Status} (replayed: {Replayed}), {Units} units held")]
    private static partial void LogHold(ILogger logger, string reservationId, HoldStatus status, bool replayed, long units);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reservation {ReservationId} {Action}: {Status} (replayed: {Replayed}), order {OrderId}")]
    private static partial void LogHoldSettled(ILogger logger, string reservationId, string action, HoldSettleStatus status, bool replayed, string? orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Expired or finished {Count} reservations")]
    private static partial void LogHoldsExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Return {ReturnId} of order {OrderId}: {Status} (replayed: {Replayed}), {Units} units restocked")]
    private static partial void LogReturn(ILogger logger, string orderId, string returnId, ReturnStatus status, bool replayed, long units);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stock of SKU {Sku} set: {Status}, now {Available}")]
    private static partial void LogStockSet(ILogger logger, string sku, StockChangeStatus status, long available);

    [LoggerMessage(Level = LogLevel.Information, Message = "SKU {Sku} adjustment {AdjustmentId} ({Delta}, {AdjustmentReason}): {Status} (replayed: {Replayed}), now {Available}")]
    private static partial void LogAdjusted(ILogger logger, string sku, string adjustmentId, long delta, string adjustmentReason, StockChangeStatus status, bool replayed, long available);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rolled back {Count} abandoned multi-partition orders")]
    private static partial void LogRecovered(ILogger logger, int count);
}
