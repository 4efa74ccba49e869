using System.Text;
using System.Text.Json;

namespace Inventory.Tests.Faults;

/// <summary>One hostile request: everything needed to send it again by hand.</summary>
public sealed record FuzzRequest(string Category, string Method, string Path, string? Key, string? ContentType, byte[]? Body, bool Chunked = false)
{
    /// <summary>
    /// Kestrel itself refuses a request target holding a NUL (bare 400, connection closed) before any application
    /// code runs, so no problem+json can be written; such cases must still be 4xx and change nothing.
    /// </summary>
    public bool RefusedByKestrel => Path.Contains("%00", StringComparison.Ordinal);

    public string Describe()
    {
        var body = Body is null ? "(none)" : Body.Length > 300 ? $"{Escape(Body[..300])}… ({Body.Length} bytes)" : Escape(Body);
        return $"[{Category}] {Method} {Path} key={(Key is null ? "(none)" : JsonSerializer.Serialize(Key.Length > 80 ? Key[..80] + "…" : Key))} " +
            $"content-type={ContentType ?? "(none)"}{(Chunked ? " chunked" : "")} body={body}";
    }

    private static string Escape(byte[] bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}");
        }

        return text.ToString();
    }
}

/// <summary>
/// Generates malformed and hostile requests against every mutating route, each one refused by construction
/// (bad key, bad media type, bad JSON, one bad field in an otherwise valid body, too large, odd path id), so a
/// correct server answers 4xx problem+json and changes nothing. Deterministic for a seed.
/// </summary>
public sealed class FuzzCases(int seed, string functionKey, string adminKey, IReadOnlyList<string> stockedSkus)
{
    private const string Json = "application/json";

    /// <summary>The mutating routes this generator sends to; a test holds it equal to the server's non-GET routes.</summary>
    public static readonly IReadOnlyList<string> MutatingTemplates =
    [
        "deductions", "deductions/batch", "deductions/{orderId}/cancel", "deductions/{orderId}/returns", "stock/{sku}", "stock/{sku}/adjustments", "tasks/{id}/retry",
        "tasks/poison/redrive", "reconciliation/run", "reservations", "reservations/{reservationId}/commit", "reservations/{reservationId}/release",
    ];

    private readonly Random _random = new(seed);
    private int _next;

    private static readonly string[] BadIdentifiers =
    [
        "null", "123", "-1", "true", "[]", "{}", "1e400", "\"\"", "\" \"", Q(new string('a', 65)), Q(new string('z', 5000)), Q("..."), Q("."),
        Q("a b"), Q("a/b"), Q("a\0b"), Q("é"), Q("😀"), Q("\u202eevil"), Q("a\nb"), Q("a\tb"), Q("ａ"), Q("a%2Fb"), Q("*"), Q("a,b"),
        Q("a\\b"), Q("<script>"), Q("' OR 1=1 --"), Q("{a}"), Q("a}b{c"), Q(" a"), Q("a "), Q("ß"), Q("İ"), Q("\u0085"), Q("\u200b"),
        "\"\\ud800\"", "\"a\\udc00b\"", "\"\\u0000\"", Q("a\"b"), Q("$(rm -rf /)"), Q("%00"),
        "\"é\"", "\"😀\"", "\"ａ\"", "\"a\u2028b\"",
    ];

    private static readonly string[] BadQuantities =
    [
        "0", "-1", "-0", "-9223372036854775808", "1000001", "9223372036854775807", "9223372036854775808", "1e3", "1.0", "1.5", "\"1\"",
        "true", "[]", "{}", "1e400", "-1e400", "null", "\"\"", "[1]", "{\"value\":1}", "0.0000001", "1E2",
    ];

    private static readonly string[] BadStock = ["-1", "1000000000001", "9223372036854775808", "1.5", "\"5\"", "true", "[]", "{}", "null", "1e400", "-0.5", "1e2"];

    /// <summary>limitPerCustomer: an integer of at least 1 (null is valid: no limit).</summary>
    private static readonly string[] BadLimits = ["0", "-1", "-0", "1000000000001", "9223372036854775808", "1.5", "\"2\"", "true", "[]", "{}", "1e400", "-0.5", "1e2"];

    /// <summary>ttlSeconds: an integer from 30 to 3600 (absent or null: 600).</summary>
    private static readonly string[] BadTtls = ["29", "0", "-1", "3601", "86400", "1.5", "\"600\"", "true", "[]", "{}", "1e400", "9223372036854775808", "6e2"];

    private static readonly string[] BadDeltas = ["0", "-0", "1000000000001", "-1000000000001", "1.5", "\"3\"", "true", "[]", "{}", "null", "1e400", "9223372036854775808"];

    private static readonly string[] BadContentTypes =
    [
        "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/jsonp", "json",
        "application/json-seq", "text/json", "application/octet-stream", "*/*", "application/", ";", "application/json+x", "text/html; charset=utf-8",
    ];

    /// <summary>Odd path ids as they go on the wire (already percent-encoded where needed); none is a valid identifier.</summary>
    private static readonly string[] BadPathIds =
    [
        "%00", "%0A", "%0D%0A", "%20", "%2F", "a%2Fb", "%5C", "%25", "%C3%A9", "%F0%9F%98%80", "%FF", "%C0%AF", "%E2%80%AE", "%EF%BC%A1",
        new string('a', 65), new string('b', 3000), "...", "%2E%2E%2E", "a%3Fb", "a%23b", "a+b", "a;b", "%7Bx%7D", "a%09b", "~", "a'b",
        "a%22b", "%3Cscript%3E", "a*b", "a,b", "-%00-", "a%20", "%20a", "%ED%A0%80", "a%2Cb", "a|b", "a%5Bb%5D",
    ];

    private static readonly string[] BadTaskIds = ["abc", "0", "-1", "1.5", "9223372036854775808", "%20", "1e3", "0x10", "%00", "1%2F2", "999999999999"];

    public IEnumerable<FuzzRequest> Generate(int count)
    {
        var generators = new (string Name, int Weight, Func<FuzzRequest> Make)[]
        {
            ("wrong or missing key", 12, WrongKey),
            ("wrong content type", 6, WrongContentType),
            ("malformed JSON", 10, MalformedJson),
            ("deep nesting", 3, DeepNesting),
            ("bad deduction field", 22, BadDeductionField),
            ("bad batch", 8, BadBatch),
            ("duplicate lines", 4, DuplicateLines),
            ("duplicate JSON properties", 6, DuplicateProperties),
            ("bad stock body", 8, BadStockBody),
            ("bad adjustment body", 8, BadAdjustmentBody),
            ("bad return body", 6, BadReturnBody),
            ("bad reservation body", 8, BadReservationBody),
            ("odd path id", 10, OddPathId),
            ("oversized body", 3, Oversized),
        };
        var total = generators.Sum(g => g.Weight);
        for (var i = 0; i < count; i++)
        {
            var pick = _random.Next(total);
            foreach (var (_, weight, make) in generators)
            {
                if (pick < weight)
                {
                    yield return make();
                    break;
                }

                pick -= weight;
            }
        }
    }

    private string Id(string stem) => $"fz{stem}-{seed}-{_next++}";

    private string Sku() => stockedSkus[_random.Next(stockedSkus.Count)];

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static string Q(string text) => JsonSerializer.Serialize(text);

    /// <summary>A JSON object from raw member values; a null value leaves the member out.</summary>
    private static string Obj(params (string Name, string? Raw)[] members) =>
        "{" + string.Join(",", members.Where(m => m.Raw is not null).Select(m => $"{Q(m.Name)}:{m.Raw}")) + "}";

    private string Line(string? sku = null, string? quantity = null) => Obj(("sku", sku ?? Q(Sku())), ("quantity", quantity ?? _random.Next(1, 4).ToString()));

    private string ValidDeduction() => Obj(("orderId", Q(Id("o"))), ("lines", "[" + string.Join(",", Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Line())) + "]"));

    private string ValidAdjustment() => Obj(("adjustmentId", Q(Id("a"))), ("delta", _random.Next(1, 9).ToString()), ("reason", Q("restock")));

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private FuzzRequest Deduction(string category, string body, string? key = null, string contentType = Json) =>
        new(category, "POST", "api/deductions", key ?? functionKey, contentType, Utf8(body));

    /// <summary>A request that would change state with the right key: every mutating route, keys wrong in every way.</summary>
    private FuzzRequest WrongKey()
    {
        const string category = "wrong or missing key";
        var (method, path, admin, body) = _random.Next(12) switch
        {
            8 => ("POST", "api/reservations", false, ValidHold()),
            9 => ("POST", $"api/reservations/{Id("h")}/commit", false, Obj(("orderId", Q(Id("o"))))),
            10 => ("POST", $"api/reservations/{Id("h")}/release", false, (string?)null),
            7 => ("POST", $"api/deductions/{Id("r")}/returns", false, ValidReturn()),
            0 => ("POST", "api/deductions", false, ValidDeduction()),
            1 => ("POST", "api/deductions/batch", false, Obj(("deductions", $"[{ValidDeduction()},{ValidDeduction()}]"))),
            2 => ("POST", $"api/deductions/{Id("c")}/cancel", false, (string?)null),
            3 => ("PUT", $"api/stock/{Sku()}", true, Obj(("available", "7"))),
            4 => ("POST", $"api/stock/{Sku()}/adjustments", true, ValidAdjustment()),
            5 => ("POST", "api/tasks/1/retry", true, null),
            6 => ("POST", "api/reconciliation/run", true, null),
            _ => ("POST", "api/tasks/poison/redrive", true, null),
        };
        var right = admin ? adminKey : functionKey;
        var (key, query) = _random.Next(admin ? 11 : 10) switch
        {
            0 => (null, ""),
            1 => ("", ""),
            2 => ("wrong", ""),
            3 => (right + "x", ""),
            4 => (right.ToUpperInvariant(), ""),
            5 => (right[..^1], ""),
            6 => ("Bearer " + right, ""), // (leading and trailing blanks would be trimmed by HTTP itself)
            7 => (null, "?code=wrong"),
            8 => ("wrong", "?code=" + Uri.EscapeDataString(right)),
            9 => (new string('k', 8000), ""),
            _ => (functionKey, ""), // the function key on an admin route
        };
        return new FuzzRequest(category, method, path + query, key, body is null ? null : Json, body is null ? null : Utf8(body));
    }

    private FuzzRequest WrongContentType()
    {
        var contentType = Pick(BadContentTypes);
        return _random.Next(4) switch
        {
            0 => Deduction("wrong content type", ValidDeduction(), contentType: contentType),
            1 => new FuzzRequest("wrong content type", "POST", "api/deductions/batch", functionKey, contentType, Utf8(Obj(("deductions", $"[{ValidDeduction()}]")))),
            2 => new FuzzRequest("wrong content type", "PUT", $"api/stock/{Sku()}", adminKey, contentType, Utf8(Obj(("available", "9")))),
            _ => new FuzzRequest("wrong content type", "POST", $"api/stock/{Sku()}/adjustments", adminKey, contentType, Utf8(ValidAdjustment())),
        } with { ContentType = contentType.Length == 0 ? null : contentType };
    }

    private FuzzRequest MalformedJson()
    {
        var valid = ValidDeduction();
        byte[] body = _random.Next(17) switch
        {
            0 => [],
            1 => Utf8("{"),
            2 => Utf8("[]"),
            3 => Utf8("null"),
            4 => Utf8("42"),
            5 => Utf8("\"text\""),
            6 => Utf8(valid[.._random.Next(1, valid.Length - 1)]),
            7 => Utf8(valid + "x"),
            8 => Utf8(valid[..^1] + ",}"),
            9 => Utf8(valid.Replace('"', '\'')),
            10 => Utf8("/* comment */" + valid),
            11 => Utf8(valid[..^1] + ",\"x\":NaN}"),
            12 => [0xEF, 0xBB, 0xBF, .. Utf8(valid[..^2])],
            13 => [.. Utf8("{\"orderId\":\""), 0xFF, 0xFE, .. Utf8($"\",\"lines\":[{Line()}]}}")],
            14 => [.. Utf8($"{{\"orderId\":{Q(Id("o"))},\"lines\":[{{\"sku\":\""), 0xC3, 0x28, .. Utf8("\",\"quantity\":1}]}")],
            15 => Utf8(valid + valid),
            // Odd member names beside a field that is bad anyway: names are compared, never converted, and must not crash.
            _ => Utf8($"{{\"\\ud800\":1,\"a\\u0000b\":2,\"\\udc00x\":3,\"orderId\":{Q(Id("o"))},\"lines\":[{Line(quantity: "0")}]}}"),
        };
        return _random.Next(4) switch
        {
            0 => new FuzzRequest("malformed JSON", "POST", "api/deductions/batch", functionKey, Json, body),
            1 => new FuzzRequest("malformed JSON", "PUT", $"api/stock/{Sku()}", adminKey, Json, body),
            2 => new FuzzRequest("malformed JSON", "POST", $"api/stock/{Sku()}/adjustments", adminKey, Json, body),
            _ => new FuzzRequest("malformed JSON", "POST", "api/deductions", functionKey, Json, body),
        };
    }

    private FuzzRequest DeepNesting()
    {
        var depth = Pick([17, 18, 64, 1000, 30_000]);
        var nested = _random.Next(2) == 0 ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        var valid = ValidDeduction();
        return Deduction("deep nesting", valid[..^1] + ",\"extra\":" + nested + "}");
    }

    private FuzzRequest BadDeductionField()
    {
        const string category = "bad deduction field";
        var orderId = Q(Id("o"));
        var lines = Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Line()).ToList();
        string body;
        switch (_random.Next(7))
        {
            case 0:
                body = Obj(("orderId", _random.Next(8) == 0 ? null : Pick(BadIdentifiers)), ("lines", $"[{string.Join(",", lines)}]"));
                break;
            case 6:
                // customerId may be absent or null (no limits), never an invalid id.
                body = Obj(("orderId", orderId), ("customerId", Pick(BadIdentifiers.Where(b => b != "null").ToList())), ("lines", $"[{string.Join(",", lines)}]"));
                break;
            case 1:
                lines[_random.Next(lines.Count)] = _random.Next(8) == 0 ? Obj(("quantity", "1")) : Line(sku: Pick(BadIdentifiers));
                body = Obj(("orderId", orderId), ("lines", $"[{string.Join(",", lines)}]"));
                break;
            case 2:
                lines[_random.Next(lines.Count)] = _random.Next(8) == 0 ? Obj(("sku", Q(Sku()))) : Line(quantity: Pick(BadQuantities));
                body = Obj(("orderId", orderId), ("lines", $"[{string.Join(",", lines)}]"));
                break;
            case 3:
                lines[_random.Next(lines.Count)] = Pick(["1", "null", "\"line\"", "[]", "{}", "true", "[{\"sku\":\"a\",\"quantity\":1}]"]);
                body = Obj(("orderId", orderId), ("lines", $"[{string.Join(",", lines)}]"));
                break;
            case 4:
                var tooMany = string.Join(",", Enumerable.Range(0, 101 + _random.Next(50)).Select(_ => Line()));
                body = Obj(("orderId", orderId), ("lines", Pick([(string?)null, "null", "{}", "\"x\"", "[]", "1", $"[{tooMany}]", Q(string.Join(",", lines))])));
                break;
            default:
                // Valid lines under other member names: the server must not guess.
                body = Obj(("orderID", orderId), ("Lines", $"[{string.Join(",", lines)}]"));
                break;
        }

        return Deduction(category, body);
    }

    private FuzzRequest BadBatch()
    {
        const string category = "bad batch";
        var items = Enumerable.Range(0, _random.Next(1, 6)).Select(_ => ValidDeduction()).ToList();
        string body;
        switch (_random.Next(4))
        {
            case 0:
                body = Obj(("deductions", Pick([(string?)null, "null", "{}", "[]", "\"x\"", "1", $"{{\"0\":{items[0]}}}"])));
                break;
            case 1:
                body = Obj(("deductions", "[" + string.Join(",", Enumerable.Range(0, 501).Select(_ => ValidDeduction())) + "]"));
                break;
            case 2:
                items[_random.Next(items.Count)] = Pick(["1", "null", "\"x\"", "[]", "true"]);
                body = Obj(("deductions", $"[{string.Join(",", items)}]"));
                break;
            default:
                // Many valid deductions and one bad one anywhere: the whole batch is refused, none of it applied.
                items = Enumerable.Range(0, _random.Next(2, 60)).Select(_ => ValidDeduction()).ToList();
                items[_random.Next(items.Count)] = Obj(("orderId", Q(Id("o"))), ("lines", $"[{Line(quantity: Pick(BadQuantities))}]"));
                body = Obj(("deductions", $"[{string.Join(",", items)}]"));
                break;
        }

        return new FuzzRequest(category, "POST", "api/deductions/batch", functionKey, Json, Utf8(body));
    }

    private FuzzRequest DuplicateLines()
    {
        var sku = Q(Sku());
        var lines = _random.Next(3) switch
        {
            // Each quantity is fine, their sum per SKU is not.
            0 => $"[{Line(sku, "600000")},{Line(sku, "400001")}]",
            1 => "[" + string.Join(",", Enumerable.Range(0, 100).Select(_ => Line(sku, "10001"))) + "]",
            _ => $"[{Line(sku, "1")},{Line(sku, Pick(BadQuantities))}]",
        };
        return Deduction("duplicate lines", Obj(("orderId", Q(Id("o"))), ("lines", lines)));
    }

    /// <summary>
    /// The same member twice, every copy valid on its own: a parser that keeps the first and one that keeps the
    /// last disagree on what was ordered, so the body is ambiguous and must be refused.
    /// </summary>
    private FuzzRequest DuplicateProperties()
    {
        const string category = "duplicate JSON properties";
        var line = Line();
        return _random.Next(7) switch
        {
            0 => Deduction(category, $"{{\"orderId\":{Q(Id("o"))},\"orderId\":{Q(Id("o"))},\"lines\":[{line}]}}"),
            6 => Deduction(category, $"{{\"orderId\":{Q(Id("o"))},\"customerId\":\"c1\",\"lines\":[{line}],\"customerId\":\"c2\"}}"),
            1 => Deduction(category, $"{{\"orderId\":{Q(Id("o"))},\"lines\":[{line}],\"lines\":[{Line()}]}}"),
            2 => Deduction(category, $"{{\"orderId\":{Q(Id("o"))},\"lines\":[{{\"sku\":{Q(Sku())},\"quantity\":1,\"quantity\":2}}]}}"),
            3 => new FuzzRequest(category, "PUT", $"api/stock/{Sku()}", adminKey, Json, Utf8("{\"available\":5,\"available\":6}")),
            4 => Deduction(category, $"{{\"orderId\":{Q(Id("o"))},\"order\\u0049d\":{Q(Id("o"))},\"lines\":[{line}]}}"), // the same name, escaped
            _ => new FuzzRequest(category, "POST", $"api/stock/{Sku()}/adjustments", adminKey, Json,
                Utf8($"{{\"adjustmentId\":{Q(Id("a"))},\"delta\":2,\"delta\":3,\"reason\":\"restock\"}}")),
        };
    }

    private FuzzRequest BadStockBody()
    {
        var body = _random.Next(5) switch
        {
            0 => Obj(("available", Pick(BadStock))),
            1 => Obj(("available", "5"), ("expectedAvailable", Pick(BadStock.Where(s => s != "null").ToList()))),
            4 => Obj(("available", "5"), ("limitPerCustomer", Pick(BadLimits))),
            2 => Obj(("expectedAvailable", "5")),
            _ => Obj(("Available", "5")),
        };
        return new FuzzRequest("bad stock body", "PUT", $"api/stock/{Sku()}", adminKey, Json, Utf8(body));
    }

    private FuzzRequest BadAdjustmentBody()
    {
        var id = Q(Id("a"));
        var body = _random.Next(4) switch
        {
            0 => Obj(("adjustmentId", _random.Next(8) == 0 ? null : Pick(BadIdentifiers)), ("delta", "3"), ("reason", Q("restock"))),
            1 => Obj(("adjustmentId", id), ("delta", _random.Next(8) == 0 ? null : Pick(BadDeltas)), ("reason", Q("restock"))),
            2 => Obj(("adjustmentId", id), ("delta", "3"), ("reason", Pick([Q(new string('r', 201)), Q("a\u0007b"), Q("line\nbreak"), "5", "[]", "{}", "true", Q("\0")]))),
            _ => Obj(("adjustmentID", id), ("Delta", "3")),
        };
        return new FuzzRequest("bad adjustment body", "POST", $"api/stock/{Sku()}/adjustments", adminKey, Json, Utf8(body));
    }

    private FuzzRequest BadReturnBody()
    {
        var id = Q(Id("r"));
        var lines = "[" + Line() + "]";
        var body = _random.Next(4) switch
        {
            0 => Obj(("returnId", _random.Next(8) == 0 ? null : Pick(BadIdentifiers)), ("lines", lines)),
            1 => Obj(("returnId", id), ("lines", "[" + Line(quantity: Pick(BadQuantities)) + "]")),
            2 => Obj(("returnId", id), ("lines", Pick(["[]", "{}", "null", "3", Q("x"), "[" + Line(sku: Pick(BadIdentifiers)) + "]"]))),
            _ => Obj(("returnId", id), ("lines", lines), ("reason", Pick([Q(new string('r', 201)), Q("a\u0007b"), "5", "[]", "{}", "true"]))),
        };
        return new FuzzRequest("bad return body", "POST", $"api/deductions/{Id("o")}/returns", functionKey, Json, Utf8(body));
    }

    private string ValidReturn() => Obj(("returnId", Q(Id("r"))), ("lines", "[" + Line() + "]"));

    private string ValidHold() => Obj(("reservationId", Q(Id("h"))), ("lines", "[" + Line() + "]"), ("ttlSeconds", "60"));

    /// <summary>A hold or commit body with one field wrong; a hold refused this way must hold nothing.</summary>
    private FuzzRequest BadReservationBody()
    {
        const string category = "bad reservation body";
        var id = Q(Id("h"));
        var lines = "[" + Line() + "]";
        if (_random.Next(4) == 0)
        {
            var order = _random.Next(6) == 0 ? null : Pick(BadIdentifiers);
            return new FuzzRequest(category, "POST", $"api/reservations/{Id("h")}/commit", functionKey, Json, Utf8(Obj(("orderId", order))));
        }

        var body = _random.Next(6) switch
        {
            0 => Obj(("reservationId", _random.Next(8) == 0 ? null : Pick(BadIdentifiers)), ("lines", lines)),
            1 => Obj(("reservationId", id), ("lines", "[" + Line(quantity: Pick(BadQuantities)) + "]")),
            2 => Obj(("reservationId", id), ("lines", Pick(["[]", "{}", "null", "3", Q("x"), "[" + Line(sku: Pick(BadIdentifiers)) + "]"]))),
            3 => Obj(("reservationId", id), ("lines", lines), ("ttlSeconds", Pick(BadTtls))),
            4 => Obj(("reservationId", id), ("lines", lines), ("customerId", Pick(BadIdentifiers.Where(b => b != "null").ToList()))),
            _ => $"{{\"reservationId\":{id},\"lines\":{lines},\"reservationId\":{Q(Id("h"))}}}",
        };
        return new FuzzRequest(category, "POST", "api/reservations", functionKey, Json, Utf8(body));
    }

    private FuzzRequest OddPathId()
    {
        const string category = "odd path id";
        var id = Pick(BadPathIds);
        return _random.Next(7) switch
        {
            5 => new FuzzRequest(category, "POST", $"api/reservations/{id}/commit", functionKey, Json, Utf8(Obj(("orderId", Q(Id("o")))))),
            6 => new FuzzRequest(category, "POST", $"api/reservations/{id}/release", functionKey, null, null),
            0 => new FuzzRequest(category, "POST", $"api/deductions/{id}/cancel", functionKey, null, null),
            3 => new FuzzRequest(category, "POST", $"api/deductions/{id}/returns", functionKey, Json, Utf8(ValidReturn())),
            1 => new FuzzRequest(category, "PUT", $"api/stock/{id}", adminKey, Json, Utf8(Obj(("available", "5")))),
            2 => new FuzzRequest(category, "POST", $"api/stock/{id}/adjustments", adminKey, Json, Utf8(ValidAdjustment())),
            _ => new FuzzRequest(category, "POST", $"api/tasks/{Pick(BadTaskIds)}/retry", adminKey, null, null),
        };
    }

    private FuzzRequest Oversized()
    {
        var chunked = _random.Next(2) == 0;
        if (_random.Next(3) == 0)
        {
            // A valid batch padded with whitespace past 1 MiB.
            var batch = Obj(("deductions", $"[{ValidDeduction()}]"));
            var padding = new string(' ', 1024 * 1024 + _random.Next(1, 300_000) - batch.Length);
            return new FuzzRequest("oversized body", "POST", "api/deductions/batch", functionKey, Json, Utf8(padding + batch), chunked);
        }

        // A valid body padded past 64 KiB, with whitespace or with a long unknown member.
        var valid = ValidDeduction();
        var extra = 64 * 1024 + _random.Next(1, 200_000) - valid.Length;
        var body = _random.Next(2) == 0 ? new string(' ', extra) + valid : valid[..^1] + $",\"padding\":{Q(new string('p', extra))}}}";
        return _random.Next(3) switch
        {
            0 => new FuzzRequest("oversized body", "PUT", $"api/stock/{Sku()}", adminKey, Json, Utf8(new string(' ', extra) + Obj(("available", "5"))), chunked),
            1 => new FuzzRequest("oversized body", "POST", $"api/stock/{Sku()}/adjustments", adminKey, Json, Utf8(new string(' ', extra) + ValidAdjustment()), chunked),
            _ => Deduction("oversized body", body) with { Chunked = chunked },
        };
    }
}
