using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Inventory.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Inventory.Api.Telemetry;

/// <summary>Where the plain server sends its telemetry: <c>Inventory:Telemetry:Exporter</c>.</summary>
public enum TelemetryExporter
{
    /// <summary>No OpenTelemetry SDK at all: the meter and activity source cost a null check each.</summary>
    None,

    /// <summary>Spans and metrics printed to standard output (metrics every OTEL_METRIC_EXPORT_INTERVAL ms, default 60 s).</summary>
    Console,

    /// <summary>OTLP to OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4317), logs included.</summary>
    Otlp,

    /// <summary>Application Insights from APPLICATIONINSIGHTS_CONNECTION_STRING, logs included.</summary>
    AzureMonitor,
}

public static class InventoryOpenTelemetry
{
    public const string ExporterSetting = "Inventory:Telemetry:Exporter";
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string SampleRatioSetting = "Inventory:Telemetry:SampleRatio";

    /// <summary>Share of traces exported when nothing in them failed; failures and unknown outcomes always are.</summary>
    public const double DefaultSampleRatio = 0.1;

    /// <summary>The plain server: OpenTelemetry with the exporter <see cref="ExporterSetting"/> names, or nothing for none.</summary>
    public static IServiceCollection AddInventoryTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName = "inventory-server")
    {
        var exporter = ExporterFrom(configuration[ExporterSetting]);
        if (exporter == TelemetryExporter.None)
        {
            return services;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .AddInventoryInstruments()
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation(options =>
            {
                options.EnrichWithHttpResponse = (activity, response) =>
                {
                    if (response.StatusCode >= 500)
                    {
                        InventoryTelemetry.Keep(activity);
                    }
                };
                options.EnrichWithException = (activity, _) => InventoryTelemetry.Keep(activity);
            }))
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation());
        switch (exporter)
        {
            case TelemetryExporter.Console:
                // Engine runs summarized (EngineSpanSummary), not printed one by one: they would drown request spans.
                telemetry.WithTracing(tracing => tracing.AddProcessor(new SimpleActivityExportProcessor(
                        new EngineSpanSummary(new OpenTelemetry.Exporter.ConsoleActivityExporter(new OpenTelemetry.Exporter.ConsoleExporterOptions()), Console.WriteLine))))
                    .WithMetrics(metrics => metrics.AddConsoleExporter());
                break;
            case TelemetryExporter.Otlp:
                telemetry.WithLogging().UseOtlpExporter();
                break;
            case TelemetryExporter.AzureMonitor:
                telemetry.UseInventoryAzureMonitor(configuration);
                break;
        }

        return services.UseInventorySampling(configuration);
    }

    /// <summary>
    /// The failure-keeping head sampler at <see cref="SampleRatioSetting"/>. Registered after every exporter, so it
    /// replaces any sampler an exporter set (the Azure Monitor exporter sets its own, which cannot keep failures).
    /// </summary>
    public static IServiceCollection UseInventorySampling(this IServiceCollection services, IConfiguration configuration)
    {
        var ratio = SampleRatioFrom(configuration[SampleRatioSetting]);
        return services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.SetSampler(new FailureKeepingSampler(ratio)));
    }

    public static double SampleRatioFrom(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return DefaultSampleRatio;
        }

        return double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ratio) && ratio is >= 0 and <= 1
            ? ratio
            : throw new InvalidOperationException($"{SampleRatioSetting} must be a number from 0 to 1, not '{value}'.");
    }

    /// <summary>The inventory's meter and activity source (both named <see cref="InventoryTelemetry.Name"/>).</summary>
    public static IOpenTelemetryBuilder AddInventoryInstruments(this IOpenTelemetryBuilder builder) =>
        builder
            .WithMetrics(metrics => metrics.AddMeter(InventoryTelemetry.Name))
            .WithTracing(tracing => tracing.AddSource(InventoryTelemetry.Name));

    /// <summary>
    /// Application Insights: logs become traces, spans requests and dependencies, and the meter's instruments land in
    /// customMetrics (which the workbook and alerts query). With local auth off, ingestion takes only Entra tokens:
    /// <see cref="AuthenticationStringSetting"/> ("Authorization=AAD;ClientId=…") picks the managed identity.
    /// </summary>
    public static IOpenTelemetryBuilder UseInventoryAzureMonitor(this IOpenTelemetryBuilder builder, IConfiguration configuration)
    {
        var connectionString = configuration[ConnectionStringSetting];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException($"{ExporterSetting}=azuremonitor needs {ConnectionStringSetting}.");
        }

        var credential = CredentialFrom(configuration[AuthenticationStringSetting]);
        return builder.UseAzureMonitorExporter(options =>
        {
            options.ConnectionString = connectionString;
            options.Credential = credential;
        });
    }

    public static bool AzureMonitorConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[ConnectionStringSetting]);

    public static TelemetryExporter ExporterFrom(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "none" => TelemetryExporter.None,
        "console" => TelemetryExporter.Console,
        "otlp" => TelemetryExporter.Otlp,
        "azuremonitor" => TelemetryExporter.AzureMonitor,
        _ => throw new InvalidOperationException($"{ExporterSetting} must be none, console, otlp or azuremonitor, not '{value}'."),
    };

    /// <summary>
    /// The credential APPLICATIONINSIGHTS_AUTHENTICATION_STRING asks for, as the Functions host reads it:
    /// "Authorization=AAD;ClientId=&lt;client id&gt;" is that user-assigned identity, "Authorization=AAD" alone the
    /// system-assigned one; no string means no token (only accepted while local auth is on).
    /// </summary>
    public static TokenCredential? CredentialFrom(string? authenticationString)
    {
        if (string.IsNullOrWhiteSpace(authenticationString))
        {
            return null;
        }

        var parts = authenticationString
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var authorization) || !authorization.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{AuthenticationStringSetting} must be 'Authorization=AAD' with an optional 'ClientId=…'.");
        }

        return parts.TryGetValue("ClientId", out var clientId) && clientId.Length > 0
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
    }
}
