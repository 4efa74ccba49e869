using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Inventory.LoadDriver;

/// <summary>
/// Sends a request the way a checkout frontend must: on a timeout, a refused or dropped connection, a 503 or a
/// 429 it sends the very same request again (same order id, same lines) with backoff, until a final answer or
/// the give-up time. A final answer is any status below 500 other than 429.
/// </summary>
public sealed class RetryingClient(HttpClient http, TimeSpan requestTimeout, TimeSpan giveUpAfter, Counters counters)
{
    /// <summary>Bodies are kept up to this many characters (a batch answer needs all of its items).</summary>
    public int BodyLimit { get; init; } = 600;

    public async Task<Answer> SendAsync(Func<HttpRequestMessage> request, Random random, CancellationToken abort)
    {
        var started = JsonLines.NowMs();
        var deadline = DateTime.UtcNow + giveUpAfter;
        string? lastError = null;
        var lastStatus = 0;
        string? lastBody = null;
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan? retryAfter = null;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(abort);
                timeout.CancelAfter(requestTimeout);
                using var message = request();
                using var response = await http.SendAsync(message, timeout.Token);
                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                var status = (int)response.StatusCode;
                var final = status < 500 && status != 429;
                if (final)
                {
                    var replayed = response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Contains("true");
                    return new Answer(status, Trim(body, BodyLimit), attempt, started, JsonLines.NowMs(), replayed, lastError);
                }

                counters.Count(status == 429 ? "429" : $"{status}");
                lastStatus = status;
                lastBody = Trim(body, BodyLimit);
                lastError = $"HTTP {status}";
                if (response.Headers.RetryAfter?.Delta is { } delta)
                {
                    retryAfter = delta;
                }
            }
            catch (Exception e) when (!abort.IsCancellationRequested && IsTransient(e))
            {
                lastError = Describe(e);
                counters.Count(lastError);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                return new Answer(0, lastBody, attempt, started, JsonLines.NowMs(), false, "aborted; " + (lastError ?? $"HTTP {lastStatus}"));
            }

            if (DateTime.UtcNow >= deadline)
            {
                return new Answer(0, lastBody, attempt, started, JsonLines.NowMs(), false, lastError);
            }

            var backoff = retryAfter ?? TimeSpan.FromMilliseconds(Math.Min(2000, 25 * Math.Pow(2, Math.Min(attempt, 7))) * (0.5 + random.NextDouble()));
            try
            {
                await Task.Delay(backoff, abort);
            }
            catch (OperationCanceledException)
            {
                return new Answer(0, lastBody, attempt, started, JsonLines.NowMs(), false, "aborted; " + lastError);
            }
        }
    }

    private static bool IsTransient(Exception e) => e is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException or SocketException;

    private static string Describe(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.ConnectionReset => "connection reset",
                    _ => "socket " + socket.SocketErrorCode,
                };
            }
        }

        return e switch
        {
            TaskCanceledException or OperationCanceledException => "timeout",
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "response ended",
            HttpRequestException h => "http " + h.HttpRequestError,
            _ => e.GetType().Name,
        };
    }

    private static string? Trim(string? body, int limit) => body is { } b && b.Length > limit ? b[..limit] : body;
}

/// <summary>Thread-safe tallies of transient errors and retried statuses, printed at the end of a run.</summary>
public sealed class Counters
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Count(string name)
    {
        lock (_counts)
        {
            _counts[name] = _counts.GetValueOrDefault(name) + 1;
        }
    }

    public IReadOnlyDictionary<string, long> Snapshot()
    {
        lock (_counts)
        {
            return new Dictionary<string, long>(_counts);
        }
    }

    public override string ToString() =>
        string.Join(", ", Snapshot().OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}"));
}

internal static class Requests
{
    public static HttpRequestMessage Json(HttpMethod method, string path, string json, string key)
    {
        var message = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        message.Headers.Add("x-functions-key", key);
        return message;
    }

    public static bool IsOk(this Answer answer) => answer.Status == (int)HttpStatusCode.OK;
}
