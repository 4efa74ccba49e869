using System.Net;
using Inventory.WorkerHost.Rpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Routing;

namespace Inventory.WorkerHost;

/// <summary>
/// Serves the HTTP-triggered functions: matches the route templates and methods from the metadata, checks the
/// authLevel key, then does what the Functions host does for the ASP.NET Core integration: sends an invocation
/// (route values in its trigger metadata) and forwards the request itself to the worker's own HTTP server with
/// the invocation id, streaming the worker's response back.
/// </summary>
internal sealed class HttpFront(WorkerConnection worker, Uri workerHttp, FunctionKeys keys, Action<string> log)
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host",
    };

    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public void Map(IEndpointRouteBuilder endpoints, string routePrefix, IEnumerable<WorkerFunction> functions)
    {
        foreach (var function in functions.Where(f => f.TriggerType.Equals("httpTrigger", StringComparison.OrdinalIgnoreCase)))
        {
            var route = function.TriggerProperty("route") ?? function.Name;
            var template = string.IsNullOrEmpty(routePrefix) ? route : $"{routePrefix.Trim('/')}/{route.TrimStart('/')}";
            var methods = (function.Trigger["methods"]?.AsArray().Select(m => ((string?)m ?? "").ToUpperInvariant()).ToList() ?? []).Where(m => m.Length > 0).ToList();
            var endpoint = methods.Count == 0
                ? endpoints.Map(template, context => HandleAsync(context, function))
                : endpoints.MapMethods(template, methods, context => HandleAsync(context, function));
            endpoint.WithDisplayName(function.Name);
        }
    }

    private async Task HandleAsync(HttpContext context, WorkerFunction function)
    {
        var presented = context.Request.Headers["x-functions-key"].FirstOrDefault() ?? context.Request.Query["code"].FirstOrDefault();
        if (!keys.Allows(function.TriggerProperty("authLevel"), presented))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        var request = Invocations.New(function, new TypedData
        {
            Http = new RpcHttp { Method = context.Request.Method, Url = context.Request.GetEncodedUrl() },
        });
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is not null)
            {
                request.TriggerMetadata[name] = new TypedData { String = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) };
            }
        }

        var invocation = worker.InvokeAsync(request, CancellationToken.None);
        _ = invocation.ContinueWith(t => Report(function, t), TaskScheduler.Default);

        // Buffered, so a forward refused before any byte reached the worker (its HTTP listener still starting) can be
        // sent again; bodies are bounded by the app's own limits (1 MiB).
        byte[]? body = null;
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }

        HttpResponseMessage response;
        for (var attempt = 1; ; attempt++)
        {
            using var forward = Forward(context, body, request.InvocationId);
            try
            {
                response = await _client.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
                break;
            }
            catch (HttpRequestException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused } && attempt < 20)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), context.RequestAborted);
            }
            catch (HttpRequestException e)
            {
                log($"[host] {function.Name}: forwarding to the worker failed: {e.Message}");
                context.Response.StatusCode = (int)HttpStatusCode.BadGateway;
                return;
            }
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    private HttpRequestMessage Forward(HttpContext context, byte[]? body, string invocationId)
    {
        var forward = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(workerHttp, context.Request.Path.Value!.TrimStart('/') + context.Request.QueryString));
        if (body is not null)
        {
            forward.Content = new ByteArrayContent(body);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        forward.Headers.TryAddWithoutValidation("x-ms-invocation-id", invocationId);
        return forward;
    }

    private void Report(WorkerFunction function, Task<InvocationResponse> invocation)
    {
        if (invocation.IsFaulted)
        {
            log($"[host] {function.Name}: no invocation response: {invocation.Exception?.GetBaseException().Message}");
        }
        else if (invocation.IsCompletedSuccessfully && !invocation.Result.Succeeded())
        {
            log($"[host] {function.Name}: invocation failed: {invocation.Result.Failure()}");
        }
    }
}
