using System.Net;
using Azure.Identity;
using Inventory.Api.Telemetry;
using Inventory.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Telemetry;

public sealed class ExporterTests
{
    [Theory]
    [InlineData(null, TelemetryExporter.None)]
    [InlineData("", TelemetryExporter.None)]
    [InlineData("none", TelemetryExporter.None)]
    [InlineData("Console", TelemetryExporter.Console)]
    [InlineData("otlp", TelemetryExporter.Otlp)]
    [InlineData("AzureMonitor", TelemetryExporter.AzureMonitor)]
    public void The_exporter_setting_names_one_exporter(string? value, TelemetryExporter expected) =>
        Assert.Equal(expected, InventoryOpenTelemetry.ExporterFrom(value));

    [Fact]
    public void An_unknown_exporter_stops_the_host_with_the_setting_named() =>
        Assert.Contains("Inventory:Telemetry:Exporter", Assert.Throws<InvalidOperationException>(() => InventoryOpenTelemetry.ExporterFrom("zipkin")).Message, StringComparison.Ordinal);

    [Fact]
    public void Azure_monitor_without_a_connection_string_stops_the_host_with_the_setting_named()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Telemetry:Exporter"] = "azuremonitor",
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddInventoryTelemetry(configuration));
        Assert.Contains("APPLICATIONINSIGHTS_CONNECTION_STRING", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_exporter_no_OpenTelemetry_SDK_is_registered()
    {
        var services = new ServiceCollection().AddInventoryTelemetry(new ConfigurationBuilder().Build());

        Assert.Empty(services);
    }

    [Fact]
    public void The_authentication_string_picks_the_managed_identity()
    {
        Assert.Null(InventoryOpenTelemetry.CredentialFrom(null));
        Assert.IsType<ManagedIdentityCredential>(InventoryOpenTelemetry.CredentialFrom("ClientId=00000000-0000-0000-0000-000000000001;Authorization=AAD"));
        Assert.IsType<ManagedIdentityCredential>(InventoryOpenTelemetry.CredentialFrom("Authorization=aad"));
        Assert.Throws<InvalidOperationException>(() => InventoryOpenTelemetry.CredentialFrom("ClientId=x"));
    }

    [Fact]
    public async Task The_plain_server_exports_the_inventory_spans_and_metrics_to_the_console_when_configured()
    {
        await using var server = new ServerProcess(TestEnvironment.Redis, TestEnvironment.UniquePrefix("o"), new Dictionary<string, string>
        {
            ["Inventory__Telemetry__Exporter"] = "console",
            ["Inventory__Telemetry__SampleRatio"] = "1",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        await server.StartAsync();
        await server.SetStockAsync("tc-sku", 3);
        using var client = server.CreateClient();

        using var response = await client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order("tc-order", [("tc-sku", 1L)])));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !(server.Output.Contains("inventory.deductions.accepted", StringComparison.Ordinal)
            && server.Output.Contains("tc-order", StringComparison.Ordinal)))
        {
            await Task.Delay(200);
        }

        var output = server.Output;
        Assert.Contains("inventory.deduct", output, StringComparison.Ordinal);
        Assert.Contains("inventory.order_id: tc-order", output, StringComparison.Ordinal);
        Assert.Contains("inventory.deductions.accepted", output, StringComparison.Ordinal);
        Assert.Contains("inventory.redis.latency", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task At_sample_ratio_zero_the_plain_server_exports_metrics_but_no_routine_deduction_span()
    {
        await using var server = new ServerProcess(TestEnvironment.Redis, TestEnvironment.UniquePrefix("o"), new Dictionary<string, string>
        {
            ["Inventory__Telemetry__Exporter"] = "console",
            ["Inventory__Telemetry__SampleRatio"] = "0",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        await server.StartAsync();
        await server.SetStockAsync("ts-sku", 3);
        using var client = server.CreateClient();

        using var response = await client.PostAsync("api/deductions", HttpCalls.Json(HttpCalls.Order("ts-order", [("ts-sku", 1L)])));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // The accepted counter is exported after the request ended, so by then its span would have been printed.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !server.Output.Contains("inventory.deductions.accepted", StringComparison.Ordinal))
        {
            await Task.Delay(200);
        }

        var output = server.Output;
        Assert.Contains("inventory.deductions.accepted", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ts-order", output, StringComparison.Ordinal);
    }
}
