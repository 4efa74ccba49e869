using Inventory.Api.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Functions.Http;

internal static class HttpResults
{
    /// <summary>Writes the shared handler's result to the response, exactly as the plain server does.</summary>
    public static async Task<IActionResult> RespondAsync(this Task<IResult> handler, HttpRequest request)
    {
        await (await DependencyFailures.GuardAsync(() => handler, request.HttpContext.RequestAborted)).ExecuteAsync(request.HttpContext);
        return new EmptyResult();
    }
}
