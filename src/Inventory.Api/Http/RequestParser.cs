using System.Text.Json;
using Inventory.Domain;

namespace Inventory.Api.Http;

/// <summary>Turns JSON into domain requests, collecting every field at fault (JSON path style, e.g. lines[2].quantity).</summary>
internal sealed class RequestParser(string prefix = "")
{
    public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

    public bool IsValid => Errors.Count == 0;

    public void Fail(string field, string message) => Errors.TryAdd(prefix + field, [message]);

    public string? Identifier(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Fail(name, "is required");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Fail(name, "must be a string");
            return null;
        }

        if (!TryGetString(value, out var text))
        {
            Fail(name, "must be valid Unicode text");
            return null;
        }

        if (Identifiers.Validate(text) is { } reason)
        {
            Fail(name, reason);
            return null;
        }

        return text;
    }

    public long? Integer(JsonElement body, string name, long min, long max, bool required = true)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Fail(name, "is required");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            Fail(name, "must be an integer");
            return null;
        }

        if (number < min || number > max)
        {
            Fail(name, $"must be between {min} and {max}");
            return null;
        }

        return number;
    }

    public string? Text(JsonElement body, string name, int maxLength)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Fail(name, "must be a string");
            return null;
        }

        if (!TryGetString(value, out var text))
        {
            Fail(name, "must be valid Unicode text");
            return null;
        }

        if (text.Length > maxLength || text.Any(char.IsControl))
        {
            Fail(name, $"must be at most {maxLength} characters without control characters");
            return null;
        }

        return text;
    }

    public DeductionRequest? Deduction(JsonElement body)
    {
        var orderId = Identifier(body, "orderId");
        var lines = Lines(body);
        var customerId = OptionalIdentifier(body, "customerId");
        return IsValid ? new DeductionRequest(orderId!, lines, customerId) : null;
    }

    /// <summary>An identifier that may be absent or null (then null), validated like every other id when present.</summary>
    public string? OptionalIdentifier(JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? Identifier(body, name) : null;

    /// <summary>A return's body; the order id comes from the path.</summary>
    public ReturnRequest? Return(JsonElement body, string orderId)
    {
        var returnId = Identifier(body, "returnId");
        var lines = Lines(body);
        var reason = Text(body, "reason", 200) ?? "";
        return IsValid ? new ReturnRequest(orderId, returnId!, lines, reason) : null;
    }

    /// <summary>A hold's body: reservation id, lines, ttlSeconds (30 to 3600, default 600), optional customer id.</summary>
    public HoldRequest? Hold(JsonElement body)
    {
        var reservationId = Identifier(body, "reservationId");
        var lines = Lines(body);
        var ttl = Integer(body, "ttlSeconds", HoldLimits.MinTtlSeconds, HoldLimits.MaxTtlSeconds, required: false) ?? HoldLimits.DefaultTtlSeconds;
        string? customerId = null;
        if (body.TryGetProperty("customerId", out var customer) && customer.ValueKind != JsonValueKind.Null)
        {
            customerId = Identifier(body, "customerId");
        }

        return IsValid ? new HoldRequest(reservationId!, lines, (int)ttl, customerId) : null;
    }

    /// <summary>1 to 100 lines of sku and quantity; a SKU's quantities may add up to at most the per-line maximum.</summary>
    public List<OrderLine> Lines(JsonElement body)
    {
        var lines = new List<OrderLine>();
        if (!body.TryGetProperty("lines", out var array) || array.ValueKind != JsonValueKind.Array)
        {
            Fail("lines", "must be an array of 1 to 100 lines");
        }
        else if (array.GetArrayLength() is 0 or > Limits.MaxLines)
        {
            Fail("lines", $"must hold 1 to {Limits.MaxLines} lines");
        }
        else
        {
            var index = 0;
            foreach (var line in array.EnumerateArray())
            {
                var at = $"lines[{index++}]";
                if (line.ValueKind != JsonValueKind.Object)
                {
                    Fail(at, "must be an object with sku and quantity");
                    continue;
                }

                var lineParser = new RequestParser(prefix + at + ".");
                var sku = lineParser.Identifier(line, "sku");
                var quantity = lineParser.Integer(line, "quantity", 1, Limits.MaxQuantity);
                foreach (var (field, messages) in lineParser.Errors)
                {
                    Errors.TryAdd(field, messages);
                }

                if (sku is not null && quantity is not null)
                {
                    lines.Add(new OrderLine(sku, quantity.Value));
                }
            }

            var total = lines.GroupBy(l => l.Sku, StringComparer.Ordinal).Select(g => g.Sum(l => l.Quantity)).DefaultIfEmpty(0).Max();
            if (total > Limits.MaxQuantity)
            {
                Fail("lines", $"the quantities of one SKU may add up to at most {Limits.MaxQuantity}");
            }
        }

        return lines;
    }

    /// <summary>GetString throws for an escaped lone surrogate ("\ud800"): the client's mistake, answered 400, not a crash.</summary>
    private static bool TryGetString(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }
}
