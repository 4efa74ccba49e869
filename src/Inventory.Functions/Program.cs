using Inventory.Api.Hosting;
using Inventory.Api.Telemetry;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddInventory(builder.Configuration);

// Application Insights through OpenTelemetry (host.json: telemetryMode), not the Application Insights worker package:
// that package cannot put the Inventory meter's instruments into customMetrics, where the workbook and alerts read
// them, and it adds a rule keeping only Warning and above from the worker's logs. Dropping that rule is deliberate:
// the Information logs are the ones with order ids and SKUs operators search for, so the exporter gets Information
// and up (the filter below says so explicitly). The worker exports its own logs; the host then leaves them alone.
// Local auth is off on the component: APPLICATIONINSIGHTS_AUTHENTICATION_STRING names the managed identity.
if (InventoryOpenTelemetry.AzureMonitorConfigured(builder.Configuration))
{
    builder.Services.AddOpenTelemetry()
        .UseFunctionsWorkerDefaults()
        .AddInventoryInstruments()
        .UseInventoryAzureMonitor(builder.Configuration);
    builder.Services.UseInventorySampling(builder.Configuration);
    builder.Logging.AddFilter<OpenTelemetryLoggerProvider>(null, LogLevel.Information);
}

builder.Build().Run();
