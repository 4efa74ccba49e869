using System.Text.Json;
using Inventory.Domain;

namespace Inventory.Api.Http;

/// <summary>
/// The deduction route's fast path: a <see cref="Utf8JsonReader"/> straight from the body bytes into the request,
/// without a <see cref="JsonDocument"/>. It accepts only a body <see cref="RequestParser"/> would accept as it stands
/// (orderId and lines, each once, and optionally a customerId string; lines of exactly sku and quantity; valid identifiers without escapes;
/// quantities in range, also summed per SKU) and yields the same request. Anything else, valid or not, returns null
/// and goes to the document parser, which names every field at fault: error bodies come from one place only.
/// </summary>
internal static class DeductionJson
{
    public static DeductionRequest? TryRead(ReadOnlySpan<byte> json)
    {
        try
        {
            return Read(json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // not JSON, or text that is not UTF-8 (RequestBody checks that first): the document parser words the problem
            return null;
        }
    }

    private static DeductionRequest? Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        string? orderId = null;
        string? customerId = null;
        List<OrderLine>? lines = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // A member met twice is refused by the document parser (duplicates): leave it to that one.
            if (reader.ValueTextEquals("orderId"u8) && orderId is null)
            {
                orderId = reader.Read() ? Identifier(ref reader) : null;
                if (orderId is null)
                {
                    return null;
                }
            }
            else if (reader.ValueTextEquals("customerId"u8) && customerId is null)
            {
                // null (allowed: no customer) and anything invalid go to the document parser
                customerId = reader.Read() ? Identifier(ref reader) : null;
                if (customerId is null)
                {
                    return null;
                }
            }
            else if (reader.ValueTextEquals("lines"u8) && lines is null)
            {
                lines = reader.Read() ? Lines(ref reader) : null;
                if (lines is null)
                {
                    return null;
                }
            }
            else
            {
                return null;
            }
        }

        // The root object closed, and nothing but whitespace follows (the reader throws on anything else).
        if (reader.TokenType != JsonTokenType.EndObject || orderId is null || lines is null || reader.Read())
        {
            return null;
        }

        return new DeductionRequest(orderId, lines, customerId);
    }

    private static List<OrderLine>? Lines(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return null;
        }

        var lines = new List<OrderLine>(1);
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            if (lines.Count == Limits.MaxLines || Line(ref reader) is not { } line)
            {
                return null;
            }

            lines.Add(line);
        }

        return reader.TokenType == JsonTokenType.EndArray && lines.Count > 0 && WithinQuantityPerSku(lines) ? lines : null;
    }

    private static OrderLine? Line(ref Utf8JsonReader reader)
    {
        string? sku = null;
        long? quantity = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("sku"u8) && sku is null)
            {
                sku = reader.Read() ? Identifier(ref reader) : null;
                if (sku is null)
                {
                    return null;
                }
            }
            else if (reader.ValueTextEquals("quantity"u8) && quantity is null)
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var number)
                    || number is < 1 or > Limits.MaxQuantity)
                {
                    return null;
                }

                quantity = number;
            }
            else
            {
                return null;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject && sku is not null && quantity is not null ? new OrderLine(sku, quantity.Value) : null;
    }

    /// <summary>A string token that is a valid identifier as written (escaped text is left to the document parser).</summary>
    private static string? Identifier(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.ValueSpan.Length > Identifiers.MaxLength)
        {
            return null;
        }

        var text = reader.GetString();
        return Identifiers.Validate(text) is null ? text : null;
    }

    private static bool WithinQuantityPerSku(List<OrderLine> lines)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            var total = 0L;
            for (var j = i; j < lines.Count; j++)
            {
                if (string.Equals(lines[j].Sku, lines[i].Sku, StringComparison.Ordinal))
                {
                    total += lines[j].Quantity;
                }
            }

            if (total > Limits.MaxQuantity)
            {
                return false;
            }
        }

        return true;
    }
}
