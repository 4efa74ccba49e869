using System.Diagnostics;
using Inventory.Api.Telemetry;
using Inventory.Application;
using Inventory.Domain;
using Inventory.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Inventory.Tests.Telemetry;

/// <summary>
/// Head sampling that keeps failures: through the real OpenTelemetry SDK pipeline (sampler, export processor,
/// in-memory exporter), which exports only spans whose Recorded flag is set when they end.
/// </summary>
public sealed class SamplingTests
{
    private static readonly ActivitySource Requests = new("Inventory.Tests.Requests");

    [Fact]
    public void At_ratio_zero_a_routine_deduction_is_not_exported_but_an_unknown_outcome_is_with_its_request_span()
    {
        var exported = new List<Activity>();
        using (var tracer = Provider(0, exported))
        {
            Deduce(DeductionStatus.Deducted);
            Deduce(DeductionStatus.Unknown);
            tracer.ForceFlush();
        }

        var deductions = exported.Where(a => a.OperationName == "inventory.deduct").ToList();
        var failed = Assert.Single(deductions);
        Assert.Equal("unknown", failed.GetTagItem(InventoryTelemetry.Tags.Outcome));
        Assert.Equal(ActivityStatusCode.Error, failed.Status);
        var request = Assert.Single(exported, a => a.OperationName == "request");
        Assert.Equal(request.SpanId, failed.ParentSpanId);
    }

    [Fact]
    public void At_ratio_one_every_span_is_exported()
    {
        var exported = new List<Activity>();
        using (var tracer = Provider(1, exported))
        {
            for (var i = 0; i < 20; i++)
            {
                Deduce(DeductionStatus.Deducted);
            }

            tracer.ForceFlush();
        }

        Assert.Equal(20, exported.Count(a => a.OperationName == "inventory.deduct"));
        Assert.Equal(20, exported.Count(a => a.OperationName == "request"));
    }

    [Fact]
    public void A_ratio_exports_about_that_share_of_traces_and_each_trace_whole()
    {
        const int traces = 4000;
        var exported = new List<Activity>();
        using (var tracer = Provider(0.25, exported))
        {
            for (var i = 0; i < traces; i++)
            {
                Deduce(DeductionStatus.Deducted);
            }

            tracer.ForceFlush();
        }

        var requests = exported.Where(a => a.OperationName == "request").Select(a => a.TraceId).ToHashSet();
        var deductions = exported.Where(a => a.OperationName == "inventory.deduct").Select(a => a.TraceId).ToHashSet();
        // Binomial(4000, 0.25): mean 1000, standard deviation 27; random trace ids, so the bound is 7 deviations.
        Assert.InRange(requests.Count, 800, 1200);
        Assert.True(requests.SetEquals(deductions), "a sampled trace is exported whole, an unsampled one not at all");
    }

    [Fact]
    public void A_callers_sampled_traceparent_is_honoured_at_ratio_zero()
    {
        var exported = new List<Activity>();
        using (var tracer = Provider(0, exported))
        {
            var remote = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
            using (var deduction = InventoryTelemetry.Source.StartActivity("inventory.deduct", ActivityKind.Internal, remote))
            {
                Assert.NotNull(deduction);
            }

            tracer.ForceFlush();
        }

        Assert.Single(exported, a => a.OperationName == "inventory.deduct");
    }

    [Fact]
    public void The_sampler_replaces_the_one_the_Azure_Monitor_exporter_sets()
    {
        var exported = new List<Activity>();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Telemetry:Exporter"] = "azuremonitor",
            ["Inventory:Telemetry:SampleRatio"] = "0",
            // Nothing listens there: the exporter's sends fail, which this test does not look at.
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddInventoryTelemetry(configuration);
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(Requests.Name).AddInMemoryExporter(exported));
        using (var provider = services.BuildServiceProvider())
        {
            var tracer = provider.GetRequiredService<TracerProvider>();
            Deduce(DeductionStatus.Deducted);
            Deduce(DeductionStatus.Unknown);
            tracer.ForceFlush();
        }

        Assert.Equal(["unknown"], exported.Where(a => a.OperationName == "inventory.deduct").Select(a => a.GetTagItem(InventoryTelemetry.Tags.Outcome)));
    }

    [Theory]
    [InlineData(null, InventoryOpenTelemetry.DefaultSampleRatio)]
    [InlineData("", InventoryOpenTelemetry.DefaultSampleRatio)]
    [InlineData("0", 0.0)]
    [InlineData("0.05", 0.05)]
    [InlineData("1", 1.0)]
    public void The_ratio_setting_is_read_invariantly(string? value, double expected) =>
        Assert.Equal(expected, InventoryOpenTelemetry.SampleRatioFrom(value));

    [Theory]
    [InlineData("1.5")]
    [InlineData("-0.1")]
    [InlineData("10%")]
    public void An_invalid_ratio_stops_the_host_with_the_setting_named(string value) =>
        Assert.Contains("Inventory:Telemetry:SampleRatio", Assert.Throws<InvalidOperationException>(() => InventoryOpenTelemetry.SampleRatioFrom(value)).Message, StringComparison.Ordinal);

    private static TracerProvider Provider(double ratio, List<Activity> exported) =>
        Sdk.CreateTracerProviderBuilder()
            .AddSource(InventoryTelemetry.Name, Requests.Name)
            .SetSampler(new FailureKeepingSampler(ratio))
            .AddInMemoryExporter(exported)
            .Build()!;

    /// <summary>A request span with a deduction span inside, as the HTTP host and the application service make them.</summary>
    private static void Deduce(DeductionStatus status)
    {
        using var request = Requests.StartActivity("request", ActivityKind.Server);
        Assert.NotNull(request);
        using var deduction = InventoryTelemetry.StartDeduction("o-" + Guid.NewGuid().ToString("N"));
        InventoryTelemetry.Deduction(deduction, new DeductionOutcome("o", status, []), 1);
    }
}
