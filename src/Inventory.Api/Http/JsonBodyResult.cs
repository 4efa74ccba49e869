using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Api.Http;

/// <summary>Writes a JSON body with a status, a content type and headers, the same way in both hosts.</summary>
internal sealed class JsonBodyResult(int status, object body, string contentType, IReadOnlyDictionary<string, string>? headers = null) : IResult
{
    /// <summary>
    /// Web defaults; the deduction path's bodies from source-generated metadata (no reflection at first use, no
    /// metadata built at run time), everything else (problem details, engine and history bodies) as before.
    /// </summary>
    internal static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(ResponseJson.Default, new DefaultJsonTypeInfoResolver()),
    };

    public int StatusCode => status;

    public object Body => body;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }
        }

        if (body is ProblemDetails problem && !problem.Extensions.ContainsKey("traceId"))
        {
            // As AddProblemDetails does for Results.Problem: every problem body names the request in the logs.
            problem.Extensions["traceId"] = Activity.Current?.Id ?? httpContext.TraceIdentifier;
        }

        // Serialized whole, then one write with Content-Length: the bodies are small, and a streamed serializer
        // would send them chunked in several writes.
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Options);
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes, httpContext.RequestAborted).AsTask();
    }
}

// Not BatchBody: generated code would resolve its object-typed items (problem details among them) from this context
// alone. The batch body takes the reflection resolver, and its items come back here through the combined options.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DeductionBody))]
[JsonSerializable(typeof(OutcomeBody))]
[JsonSerializable(typeof(InsufficientBody))]
[JsonSerializable(typeof(LimitExceededBody))]
[JsonSerializable(typeof(StockBody))]
[JsonSerializable(typeof(OrderBody))]
[JsonSerializable(typeof(StockLevelBody))]
[JsonSerializable(typeof(HoldBody))]
[JsonSerializable(typeof(HoldInsufficientBody))]
[JsonSerializable(typeof(HoldLimitExceededBody))]
[JsonSerializable(typeof(HoldStatusBody))]
internal sealed partial class ResponseJson : JsonSerializerContext;
