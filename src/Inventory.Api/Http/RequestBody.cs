using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;

namespace Inventory.Api.Http;

/// <summary>Reads a value straight from a body's bytes, or null to leave the body to the document parser.</summary>
internal delegate T? FastParser<T>(ReadOnlySpan<byte> json)
    where T : class;

/// <summary>Reads a JSON body within a size limit, before any work is done on it.</summary>
internal static class RequestBody
{
    public static async Task<(JsonDocument? Document, IResult? Problem)> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        var (document, _, problem) = await ReadAsync<object>(request, maxBytes, null, cancellationToken).ConfigureAwait(false);
        return (document, problem);
    }

    /// <summary>
    /// The same checks, then <paramref name="fast"/> on the bytes first: when it returns a value, no document is
    /// built. When it returns null the document is parsed as by the overload above.
    /// </summary>
    public static async Task<(JsonDocument? Document, T? Fast, IResult? Problem)> ReadAsync<T>(HttpRequest request, int maxBytes, FastParser<T>? fast, CancellationToken cancellationToken)
        where T : class
    {
        if (!IsJson(request.ContentType))
        {
            return (null, null, Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the body as application/json."));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, null, TooLarge(maxBytes));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(maxBytes + 1, 16 * 1024));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, maxBytes + 1) - length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    return (null, null, TooLarge(maxBytes));
                }
            }

            // The JSON reader does not check the bytes inside strings, and GetString would throw on them later.
            if (!Utf8.IsValid(buffer.AsSpan(0, length)))
            {
                return (null, null, Problems.Invalid("$", "The body is not valid UTF-8."));
            }

            if (fast?.Invoke(buffer.AsSpan(0, length)) is { } parsed)
            {
                return (null, parsed, null);
            }

            try
            {
                // Duplicate members are refused: a proxy keeping the first copy and a parser keeping the last
                // would disagree on what was ordered.
                // The document keeps reading the memory it was parsed from, and the pooled buffer goes back when this
                // method returns: it gets its own copy.
                var document = JsonDocument.Parse(buffer.AsSpan(0, length).ToArray(), new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false });
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    document.Dispose();
                    return (null, null, Problems.Invalid("$", "The body must be a JSON object."));
                }

                return (document, null, null);
            }
            catch (JsonException e)
            {
                return (null, null, Problems.Invalid("$", $"The body is not valid JSON: {e.Message}"));
            }
            catch (InvalidOperationException e)
            {
                // The duplicate check unescapes member names and throws this for a lone surrogate ("\ud800").
                return (null, null, Problems.Invalid("$", $"The body is not valid JSON text: {e.Message}"));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var mediaType = contentType.Split(';')[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static IResult TooLarge(int maxBytes) =>
        Problems.Status(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The body may be at most {maxBytes} bytes.");
}
