using System.Diagnostics;
using Inventory.Api.Hosting;
using Inventory.Application;
using Inventory.Domain;
using Inventory.Telemetry;
using Inventory.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Inventory.Tests.Telemetry;

/// <summary>The deduction path's metrics and spans, through the container both hosts build, on the standalone Redis.</summary>
public sealed class DeductionTelemetryTests : IAsyncLifetime
{
    private readonly TelemetryCapture _capture = new();
    private readonly ServiceProvider _services;

    public DeductionTelemetryTests()
    {
        _services = Build(throttled: false);
    }

    private InventoryService Inventory => _services.GetRequiredService<InventoryService>();

    [Fact]
    public async Task A_deduction_is_counted_as_accepted_and_traced_with_its_order_id_and_sku_count()
    {
        await Inventory.SetStockAsync("tm-a", 10, null);
        await Inventory.SetStockAsync("tm-b", 10, null);

        var outcome = await Inventory.DeductAsync(Request("tm-order-1", ("tm-a", 2), ("tm-b", 1), ("tm-a", 1)));

        Assert.Equal(DeductionStatus.Deducted, outcome.Status);
        Assert.Equal(1, _capture.Count("inventory.deductions.accepted"));
        Assert.Equal(0, _capture.Count("inventory.deductions.rejected"));
        Assert.Equal(0, _capture.Count("inventory.replays"));

        var span = Assert.Single(_capture.Spans("inventory.deduct"));
        Assert.Equal("tm-order-1", span.GetTagItem(InventoryTelemetry.Tags.OrderId));
        Assert.Equal(2, span.GetTagItem(InventoryTelemetry.Tags.SkuCount));
        Assert.Equal("deducted", span.GetTagItem(InventoryTelemetry.Tags.Outcome));
        Assert.Equal(false, span.GetTagItem(InventoryTelemetry.Tags.Replayed));
        Assert.NotEqual(ActivityStatusCode.Error, span.Status);

        // The Redis round trip is a client span under it, and a latency sample.
        var redis = Assert.Single(_capture.Spans("redis deduct"));
        Assert.Equal(span.SpanId, redis.ParentSpanId);
        Assert.Equal(ActivityKind.Client, redis.Kind);
        Assert.Equal("redis", redis.GetTagItem("db.system"));
        Assert.Equal(1, _capture.HistogramCount("inventory.redis.latency", ("operation", "deduct")));
        Assert.Equal(2, _capture.HistogramCount("inventory.redis.latency", ("operation", "set_stock")));
        Assert.Equal(MetricType.Histogram, _capture.TypeOf("inventory.redis.latency"));

        var stockSpans = _capture.Spans("inventory.stock.set");
        Assert.Equal(["tm-a", "tm-b"], stockSpans.Select(s => s.GetTagItem(InventoryTelemetry.Tags.Sku)).Order());
    }

    [Fact]
    public async Task Rejections_are_counted_by_reason_and_traced_with_the_reason()
    {
        await using var limited = Build(throttled: true);
        var inventory = limited.GetRequiredService<InventoryService>();
        await inventory.SetStockAsync("tm-short", 1, null);
        await inventory.SetStockAsync("tm-hot", 100, null);

        var insufficient = await inventory.DeductAsync(Request("tm-order-2", ("tm-short", 5)));
        var unknownSku = await inventory.DeductAsync(Request("tm-order-3", ("tm-never-stocked", 1)));
        var admitted = await inventory.DeductAsync(Request("tm-order-4", ("tm-hot", 1)));
        var throttled = await inventory.DeductAsync(Request("tm-order-5", ("tm-hot", 1)));

        Assert.Equal(
            [DeductionStatus.Insufficient, DeductionStatus.UnknownSku, DeductionStatus.Deducted, DeductionStatus.Throttled],
            new[] { insufficient.Status, unknownSku.Status, admitted.Status, throttled.Status });
        Assert.Equal(1, _capture.Count("inventory.deductions.rejected", ("reason", "insufficient")));
        Assert.Equal(1, _capture.Count("inventory.deductions.rejected", ("reason", "unknown_sku")));
        Assert.Equal(1, _capture.Count("inventory.deductions.rejected", ("reason", "throttled")));
        Assert.Equal(3, _capture.Count("inventory.deductions.rejected"));
        Assert.Equal(1, _capture.Count("inventory.throttled"));
        Assert.Equal(1, _capture.Count("inventory.deductions.accepted"));

        var spans = _capture.Spans("inventory.deduct").ToDictionary(s => (string)s.GetTagItem(InventoryTelemetry.Tags.OrderId)!);
        Assert.Equal("insufficient", spans["tm-order-2"].GetTagItem(InventoryTelemetry.Tags.Outcome));
        Assert.Equal("unknown_sku", spans["tm-order-3"].GetTagItem(InventoryTelemetry.Tags.Outcome));
        Assert.Equal("throttled", spans["tm-order-5"].GetTagItem(InventoryTelemetry.Tags.Outcome));
        Assert.Equal(1, spans["tm-order-5"].GetTagItem(InventoryTelemetry.Tags.SkuCount));

        // A throttled order never reaches the deduction script.
        Assert.DoesNotContain(_capture.Spans("redis deduct"), s => s.ParentSpanId == spans["tm-order-5"].SpanId);
    }

    [Fact]
    public async Task A_replay_is_counted_as_a_replay_and_not_as_a_second_acceptance()
    {
        await Inventory.SetStockAsync("tm-replay", 10, null);

        var first = await Inventory.DeductAsync(Request("tm-order-6", ("tm-replay", 3)));
        var again = await Inventory.DeductAsync(Request("tm-order-6", ("tm-replay", 3)));
        var batch = await Inventory.DeductBatchAsync([Request("tm-order-7", ("tm-replay", 1)), Request("tm-order-7", ("tm-replay", 1))]);
        var cancelled = await Inventory.CancelAsync("tm-order-6");
        var cancelledAgain = await Inventory.CancelAsync("tm-order-6");

        Assert.False(first.Replayed);
        Assert.True(again.Replayed);
        Assert.True(batch[1].Replayed);
        Assert.True(cancelledAgain.Replayed);
        Assert.Equal(2, _capture.Count("inventory.deductions.accepted"));
        Assert.Equal(2, _capture.Count("inventory.replays", ("operation", "deduct")));
        Assert.Equal(1, _capture.Count("inventory.replays", ("operation", "cancel")));

        var spans = _capture.Spans("inventory.deduct");
        Assert.Equal([false, true], spans.Select(s => (bool)s.GetTagItem(InventoryTelemetry.Tags.Replayed)!));
        Assert.All(spans, s => Assert.Equal("tm-order-6", s.GetTagItem(InventoryTelemetry.Tags.OrderId)));
        var batchSpan = Assert.Single(_capture.Spans("inventory.deduct_batch"));
        Assert.Equal(2, batchSpan.GetTagItem(InventoryTelemetry.Tags.OrderCount));
        Assert.Equal(1, batchSpan.GetTagItem("inventory.replays"));

        var cancels = _capture.Spans("inventory.cancel");
        Assert.Equal([false, true], cancels.Select(s => (bool)s.GetTagItem(InventoryTelemetry.Tags.Replayed)!));
        Assert.All(cancels, s => Assert.Equal("cancelled", s.GetTagItem(InventoryTelemetry.Tags.Outcome)));
        Assert.Equal(cancelled.Lines.Count, cancels[0].GetTagItem(InventoryTelemetry.Tags.SkuCount));
    }

    [Fact]
    public void Every_instrument_the_workbook_and_alerts_read_exists_on_the_meter()
    {
        Assert.Equal(InventoryTelemetry.Name, InventoryTelemetry.Meter.Name);
        var names = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == InventoryTelemetry.Name)
                {
                    names.Add(instrument.Name);
                }
            },
        };
        listener.Start();

        Assert.Equal(
            [
                "inventory.deductions.accepted", "inventory.deductions.rejected", "inventory.drift", "inventory.journal.recovered",
                "inventory.ledger.diverged", "inventory.persistence.lag", "inventory.redis.latency", "inventory.redis.memory.used_ratio",
                "inventory.redis.rebuild.partitions", "inventory.redis.rebuild.rows", "inventory.redis.refusals", "inventory.replays", "inventory.tasks.backlog",
                "inventory.tasks.dead", "inventory.tasks.oldest_pending_age", "inventory.tasks.retries", "inventory.throttled",
            ],
            names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Drift_is_a_gauge_the_reconciler_sets()
    {
        InventoryTelemetry.RecordDrift(7);

        var point = Assert.Single(_capture.Points("inventory.drift"));
        Assert.Equal(MetricType.LongGauge, _capture.TypeOf("inventory.drift"));
        Assert.Equal(7, point.GetGaugeLastValueLong());
    }

    /// <param name="throttled">One order per SKU per minute gets through the hot-SKU limiter; the next is throttled.</param>
    private static ServiceProvider Build(bool throttled)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Inventory:Redis:Configuration"] = TestEnvironment.Redis,
            ["Inventory:Redis:KeyPrefix"] = TestEnvironment.UniquePrefix("m"),
            ["Inventory:Sql:Provider"] = "none",
            ["AzureWebJobsStorage"] = TestEnvironment.Storage,
        };
        if (throttled)
        {
            settings["Inventory:HotSku:Enabled"] = "true";
            settings["Inventory:HotSku:PermitsPerWindow"] = "1";
            settings["Inventory:HotSku:WindowMilliseconds"] = "60000";
            settings["Inventory:HotSku:QueueLimit"] = "0";
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddInventory(configuration).BuildServiceProvider();
        // As a host does at start: a fresh deployment's partitions get their markers before anything is sold.
        services.GetRequiredService<RedisRecovery>().CheckAsync().GetAwaiter().GetResult();
        return services;
    }

    private static DeductionRequest Request(string orderId, params (string Sku, long Quantity)[] lines) =>
        new(orderId, lines.Select(l => new OrderLine(l.Sku, l.Quantity)).ToList());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _capture.Dispose();
        await _services.DisposeAsync();
    }
}
