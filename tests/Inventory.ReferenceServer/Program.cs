using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

// A minimal flash-sale server: what any server must do per order and nothing more. It parses the same request body
// as POST /api/deductions, checks the same key header in constant time, and runs one idempotent check-and-deduct
// script per order on the same Redis. No validation beyond what the JSON shape needs, no claim, no journal, no
// replays with bodies, no telemetry: the benchmark reports the project as a ratio of this, measured in the same run.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, ReferenceJson.Default));
var prefix = builder.Configuration["Reference:KeyPrefix"] ?? "ref";
var key = Encoding.UTF8.GetBytes(builder.Configuration["Reference:Key"] ?? throw new InvalidOperationException("Reference:Key is required."));
var redis = await ConnectionMultiplexer.ConnectAsync(builder.Configuration["Reference:Redis"] ?? "127.0.0.1:6380");
var stockKey = (RedisKey)$"{{{prefix}}}:stock";
var orderKeyPrefix = $"{{{prefix}}}:o:";

var app = builder.Build();
app.MapPost("/api/deductions", async (HttpContext context) =>
{
    var presented = context.Request.Headers["x-functions-key"].ToString();
    if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), key))
    {
        return Results.StatusCode(401);
    }

    var order = await context.Request.ReadFromJsonAsync(ReferenceJson.Default.DeductionRequest, context.RequestAborted);
    if (order is not { Lines: [var line] } || string.IsNullOrEmpty(order.OrderId))
    {
        return Results.StatusCode(400);
    }

    var left = (long)await redis.GetDatabase().ScriptEvaluateAsync(ReferenceScript.Text,
        [stockKey, orderKeyPrefix + order.OrderId], [line.Sku, line.Quantity]);
    return left >= 0
        ? Results.Json(new DeductionResponse(order.OrderId, "deducted", [new DeductedLine(line.Sku, line.Quantity, left)]), ReferenceJson.Default.DeductionResponse)
        : Results.StatusCode(409);
});
// The same counter the project's server exposes under its benchmark flag: bytes allocated by the whole process.
app.MapGet("/bench/allocated", () => Results.Text(GC.GetTotalAllocatedBytes(false).ToString(System.Globalization.CultureInfo.InvariantCulture)));
app.Run();

internal static class ReferenceScript
{
    // Remembers the id for the project's default TTL (1 day), refuses a repeat, never goes below zero.
    public const string Text = """
        if redis.call('SET', KEYS[2], '1', 'NX', 'EX', 86400) == false then return -2 end
        local left = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
        if left < tonumber(ARGV[2]) then redis.call('DEL', KEYS[2]) return -1 end
        return redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(ARGV[2]))
        """;
}

internal sealed record DeductionLine(string Sku, long Quantity);

internal sealed record DeductionRequest(string OrderId, IReadOnlyList<DeductionLine> Lines);

internal sealed record DeductedLine(string Sku, long Quantity, long Remaining);

internal sealed record DeductionResponse(string OrderId, string Status, IReadOnlyList<DeductedLine> Lines);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DeductionRequest))]
[JsonSerializable(typeof(DeductionResponse))]
internal sealed partial class ReferenceJson : JsonSerializerContext;
