using Inventory.Reconciliation;
using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

/// <summary>GET /api/reconciliation (the last run) and POST /api/reconciliation/run (run now).</summary>
public sealed class ReconciliationHandlers(Reconciler? reconciler = null)
{
    public Task<IResult> LastAsync(HttpRequest request) => Task.FromResult<IResult>(reconciler switch
    {
        null => NotConfigured(),
        { Last: null } => Problems.Status(404, "No reconciliation yet", "No run has finished in this instance; POST /api/reconciliation/run starts one."),
        _ => new JsonBodyResult(200, Body(reconciler.Last), "application/json"),
    });

    public async Task<IResult> RunAsync(HttpRequest request) =>
        reconciler is null ? NotConfigured() : new JsonBodyResult(200, Body(await reconciler.RunAsync(request.HttpContext.RequestAborted)), "application/json");

    private static ReconciliationBody Body(ReconciliationReport report) =>
        new(report.StartedAt, report.FinishedAt, report.SkusChecked, report.SkusNotCaughtUp, report.DriftUnits, report.Drifted);

    private static IResult NotConfigured() =>
        Problems.Status(503, "Reconciliation not configured", "Set Inventory:Sql:ConnectionString: SQL's ledger is the record to reconcile against.");
}
