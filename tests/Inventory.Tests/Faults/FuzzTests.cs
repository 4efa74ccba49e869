using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Inventory.Api.Http;
using Inventory.Tests.Engine;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Inventory.Tests.Faults;

/// <summary>
/// Thousands of generated malformed and hostile requests against every mutating route of the plain server: each
/// must get a 4xx application/problem+json answer with a numeric status, and none may change Redis (stock,
/// sequences, journals, order/claim/adjustment records). A fixed seed (INVENTORY_FUZZ_SEED overrides it, and the
/// test prints it) makes every failure reproducible; failures print the exact request.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 20251125;

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("INVENTORY_FUZZ_SEED"), CultureInfo.InvariantCulture, out var seed) ? seed : DefaultSeed;

    private static int Count => int.TryParse(Environment.GetEnvironmentVariable("INVENTORY_FUZZ_COUNT"), CultureInfo.InvariantCulture, out var count)
        ? count
        : TestEnvironment.LongRuns ? 50_000 : 10_000;

    [Fact]
    public void Every_mutating_route_is_fuzzed()
    {
        var mutating = InventoryRoutes.All.Where(r => r.Method != "GET").Select(r => r.Template);

        Assert.Empty(mutating.Except(FuzzCases.MutatingTemplates));
    }

    [Fact]
    public async Task Malformed_and_hostile_requests_get_4xx_problem_json_and_change_nothing()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, EngineEndToEndTests.EngineSettings(database));
        // The engine's routes are mapped (SQL configured), its loops off: nothing but the requests touches Redis.
        await server.StartAsync(new Dictionary<string, string> { ["Inventory__Workers__Engine"] = "false" });
        string[] skus = ["fz-a", "fz-b", "fz-c", "fz.d:e_f-1"];
        foreach (var sku in skus)
        {
            await server.SetStockAsync(sku, 1_000);
        }

        var before = await SnapshotAsync(redis);
        var seed = Seed;
        var cases = new FuzzCases(seed, ServerProcess.FunctionKey, ServerProcess.AdminKey, skus).Generate(Count).ToList();
        output.WriteLine($"fuzz seed {seed} (set INVENTORY_FUZZ_SEED to change it, INVENTORY_FUZZ_COUNT for more), {cases.Count} requests");

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var failures = new ConcurrentBag<(int Index, string Text)>();
        var tally = new ConcurrentDictionary<(string Category, string Outcome), int>();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(cases.Select((c, i) => (Case: c, Index: i)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, _) =>
        {
            var (outcome, problem) = await SendAsync(client, item.Case);
            tally.AddOrUpdate((item.Case.Category, outcome), 1, (_, n) => n + 1);
            if (problem is not null)
            {
                failures.Add((item.Index, $"#{item.Index} {problem}\n    {item.Case.Describe()}"));
            }
        });
        var after = await SnapshotAsync(redis);

        output.WriteLine($"{cases.Count} requests in {watch.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine($"{"category",-28} {"requests",8}  answers");
        foreach (var category in tally.GroupBy(t => t.Key.Category).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{category.Key,-28} {category.Sum(c => c.Value),8}  " +
                string.Join(", ", category.OrderBy(c => c.Key.Outcome, StringComparer.Ordinal).Select(c => $"{c.Key.Outcome} ×{c.Value}")));
        }

        var changed = before.Except(after).Select(k => "before: " + k).Concat(after.Except(before).Select(k => "after:  " + k)).ToList();
        output.WriteLine($"{failures.Count} bad answers, {changed.Count} Redis differences");
        foreach (var failure in failures.OrderBy(f => f.Index).Take(30))
        {
            output.WriteLine(failure.Text);
        }

        foreach (var difference in changed.Take(30))
        {
            output.WriteLine(difference);
        }

        Assert.Empty(failures);
        Assert.Empty(changed);
    }

    /// <summary>Sends one case; returns the outcome for the tally ("400", "exception") and what is wrong with it, if anything.</summary>
    private static async Task<(string Outcome, string? Problem)> SendAsync(HttpClient client, FuzzRequest request)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
        if (request.Key is not null)
        {
            message.Headers.TryAddWithoutValidation("x-functions-key", request.Key);
        }

        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }

        message.Headers.TransferEncodingChunked = request.Chunked ? true : null;
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(message);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return ("exception", $"no answer: {e.GetType().Name}: {e.Message}");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            var text = await response.Content.ReadAsStringAsync();
            var outcome = status.ToString(CultureInfo.InvariantCulture);
            var shown = text.Length > 300 ? text[..300] + "…" : text;
            if (status >= 500)
            {
                return (outcome, $"server error {status}: {shown}");
            }

            if (status < 400)
            {
                return (outcome, $"accepted with {status} (a refused request was expected): {shown}");
            }

            if (request.RefusedByKestrel)
            {
                return (outcome + " (Kestrel)", null);
            }

            if (mediaType != "application/problem+json")
            {
                return (outcome, $"{status} with content type '{mediaType ?? "(none)"}', not application/problem+json: {shown}");
            }

            try
            {
                var declared = JsonNode.Parse(text)?["status"];
                if (declared is not JsonValue value || !value.TryGetValue<int>(out var number) || number != status)
                {
                    return (outcome, $"{status} problem without a numeric status equal to it: {shown}");
                }
            }
            catch (System.Text.Json.JsonException)
            {
                return (outcome, $"{status} problem body is not JSON: {shown}");
            }

            return (outcome, null);
        }
    }

    /// <summary>
    /// Everything a request could change: stock and sequence hashes, journal lengths, and every order, claim,
    /// adjustment and pending record under the test's key prefix.
    /// </summary>
    private static async Task<List<string>> SnapshotAsync(RedisTarget redis)
    {
        var db = redis.Connection.GetDatabase();
        var state = new List<string>();
        for (var p = 0; p < redis.Options.Partitions; p++)
        {
            var tag = $"{{{redis.Options.KeyPrefix}:{p}}}";
            state.AddRange((await db.HashGetAllAsync($"{tag}:stock")).Select(e => $"{tag}:stock {e.Name}={e.Value}"));
            state.AddRange((await db.HashGetAllAsync($"{tag}:seq")).Select(e => $"{tag}:seq {e.Name}={e.Value}"));
            state.Add($"{tag}:journal length {await db.StreamLengthAsync($"{tag}:journal")}");
        }

        var server = redis.Connection.GetServers().First(s => !s.IsReplica);
        await foreach (var key in server.KeysAsync(pattern: $"{{{redis.Options.KeyPrefix}:*", pageSize: 1000))
        {
            var name = key.ToString();
            if (name.Contains("}:o:", StringComparison.Ordinal) || name.Contains("}:c:", StringComparison.Ordinal)
                || name.Contains("}:a:", StringComparison.Ordinal) || name.EndsWith("}:pending", StringComparison.Ordinal))
            {
                state.Add("key " + name);
            }
        }

        state.Sort(StringComparer.Ordinal);
        return state;
    }
}
