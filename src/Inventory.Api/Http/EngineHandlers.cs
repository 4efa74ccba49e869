using Inventory.Api.Queues;
using Inventory.Engine;
using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

/// <summary>The operator routes of the task engine. Without a SQL store configured they answer 503.</summary>
public sealed class EngineHandlers(PoisonRedriver redriver, TaskOperations? operations = null)
{
    public const int MaxDeadListed = 1000;

    public async Task<IResult> StatsAsync(HttpRequest request) =>
        operations is null ? NotConfigured() : new JsonBodyResult(200, await operations.GetStatsAsync(request.HttpContext.RequestAborted), "application/json");

    public async Task<IResult> DeadAsync(HttpRequest request)
    {
        if (operations is null)
        {
            return NotConfigured();
        }

        var raw = request.Query["limit"].ToString();
        var limit = 100;
        if (raw.Length > 0 && (!int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxDeadListed))
        {
            return Problems.Invalid("limit", $"must be an integer from 1 to {MaxDeadListed}");
        }

        return new JsonBodyResult(200, new DeadTasksBody(await operations.GetDeadAsync(limit, request.HttpContext.RequestAborted)), "application/json");
    }

    public async Task<IResult> RetryAsync(HttpRequest request, string id)
    {
        if (operations is null)
        {
            return NotConfigured();
        }

        if (!long.TryParse(id, out var taskId) || taskId <= 0)
        {
            return Problems.Invalid("id", "must be a positive task id");
        }

        return await operations.RetryAsync(taskId, request.HttpContext.RequestAborted)
            ? new JsonBodyResult(200, new RetriedTaskBody(taskId, "pending"), "application/json")
            : Problems.Status(404, "No dead task", $"No dead task has id {taskId}.");
    }

    public async Task<IResult> RedrivePoisonAsync(HttpRequest request) =>
        new JsonBodyResult(200, new RedriveBody(await redriver.RedriveAsync(cancellationToken: request.HttpContext.RequestAborted)), "application/json");

    private static IResult NotConfigured() =>
        Problems.Status(503, "Task engine not configured", "Set Inventory:Sql:ConnectionString to persist to SQL.");
}
