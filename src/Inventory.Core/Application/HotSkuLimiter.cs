using System.Threading.RateLimiting;

namespace Inventory.Application;

public sealed class HotSkuOptions
{
    public bool Enabled { get; set; }

    /// <summary>Requests per SKU admitted per window.</summary>
    public int PermitsPerWindow { get; set; } = 50;

    /// <summary>The seed's 10 ms windows: bursts are smoothed rather than refused outright.</summary>
    public int WindowMilliseconds { get; set; } = 10;

    /// <summary>How many requests per SKU may wait for a later window before the limiter answers 429.</summary>
    public int QueueLimit { get; set; } = 200;
}

/// <summary>Throttles each SKU on its own, so a hot SKU never slows another one down.</summary>
public sealed class HotSkuLimiter : IAsyncDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly TimeSpan _window;

    public HotSkuLimiter(HotSkuOptions options)
    {
        _window = TimeSpan.FromMilliseconds(Math.Max(1, options.WindowMilliseconds));
        if (!options.Enabled)
        {
            return;
        }

        _limiter = PartitionedRateLimiter.Create<string, string>(sku => RateLimitPartition.GetFixedWindowLimiter(sku, _ =>
            new FixedWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, options.PermitsPerWindow),
                Window = _window,
                QueueLimit = Math.Max(0, options.QueueLimit),
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            }));
    }

    public bool Enabled => _limiter is not null;

    /// <summary>Null when every SKU admitted the request; otherwise how long the caller should wait.</summary>
    public async ValueTask<TimeSpan?> TryAcquireAsync(IEnumerable<string> skus, CancellationToken cancellationToken)
    {
        if (_limiter is null)
        {
            return null;
        }

        foreach (var sku in skus)
        {
            using var lease = await _limiter.AcquireAsync(sku, 1, cancellationToken).ConfigureAwait(false);
            if (!lease.IsAcquired)
            {
                return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : _window;
            }
        }

        return null;
    }

    public ValueTask DisposeAsync() => _limiter?.DisposeAsync() ?? ValueTask.CompletedTask;
}
