using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Api.Http;

/// <summary>Writes a JSON body with a status, a content type and headers, the same way in both hosts.</summary>
internal sealed class JsonBodyResult(int status, object body, string contentType, IReadOnlyDictionary<string, string>? headers = null) : IResult
{
    internal static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public int StatusCode => status;

    public object Body => body;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            response.Headers[name] = value;
        }

        if (body is ProblemDetails problem && !problem.Extensions.ContainsKey("traceId"))
        {
            // As AddProblemDetails does for Results.Problem: every problem body names the request in the logs.
            problem.Extensions["traceId"] = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        }

        await JsonSerializer.SerializeAsync(response.Body, body, body.GetType(), Options, httpContext.RequestAborted).ConfigureAwait(false);
    }
}
