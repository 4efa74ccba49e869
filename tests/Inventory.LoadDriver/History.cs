using System.Diagnostics;
using System.Text.Json;

namespace Inventory.LoadDriver;

/// <summary>
/// One logical request of the randomized history and the answer it finally got (after the client's own retries of
/// transport errors): <c>deduct</c> (POST /api/deductions), <c>batch</c> (one item of POST /api/deductions/batch),
/// <c>cancel</c>, <c>adjust</c>, <c>hold</c> (POST /api/reservations, <see cref="Id"/> the reservation),
/// <c>commit</c> (<see cref="Id"/> the reservation, <see cref="Ref"/> the order id, <see cref="Lines"/> the
/// reservation's), <c>release</c>, <c>return</c> (<see cref="Id"/> the order, <see cref="Ref"/> the return id,
/// <see cref="Lines"/> the units returned). Several ops may share an id: a client repeats a request with the same id,
/// also after it got an answer. Status 200 = acknowledged; another status below 500 other than 429 = a final refusal;
/// 0 or 5xx = unknown (it may or may not have happened).
/// </summary>
public sealed record HistoryOp(long Seq, int Client, string Kind, string Id, IReadOnlyList<LineRecord>? Lines, string? Sku, long Delta, Answer Answer, string? Ref = null)
    : ClientRecord
{
    public bool IsDeduction => Kind is "deduct" or "batch";

    public bool Acknowledged => Answer.Status == 200;

    public bool Refused => Answer.Status is >= 400 and < 500 and not 429;

    public bool Unknown => !Acknowledged && !Refused;
}

/// <summary>What GET /api/deductions/{id} said after the faults stopped and the engine drained; Status 0: no answer.</summary>
public sealed record ResolutionRecord(string OrderId, int Status, string? State) : ClientRecord;

/// <summary>What GET /api/reservations/{id} said after every hold ended and the engine drained; Status 0: no answer.</summary>
public sealed record ReservationResolution(string ReservationId, int Status, string? State, string? OrderId) : ClientRecord;

public sealed class HistoryOptions
{
    public required Uri BaseUrl { get; init; }

    public required string FunctionKey { get; init; }

    public required string AdminKey { get; init; }

    public required string Output { get; init; }

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    public int Clients { get; init; } = 10;

    public int Seed { get; init; } = 1;

    public string RunId { get; init; } = "h" + Guid.NewGuid().ToString("N")[..6];

    public int HotSkus { get; init; } = 4;

    public int ColdSkus { get; init; } = 24;

    public long HotStock { get; init; } = 150;

    public long ColdStock { get; init; } = 100_000;

    /// <summary>Short, so requests stalled by a fault time out and are retried with the same id.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Short, so some requests end without a final answer (unknown) and are repeated later as new ops.</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromSeconds(9);

    /// <summary>The API's floor: holds made in the run's first part expire within it, so expiry races commits.</summary>
    public TimeSpan HoldTtl { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Share of a client's steps spent on reservations and returns; the rest keeps the deduction mix.</summary>
    public double ReservationShare { get; init; } = 0.15;

    /// <summary>
    /// New holds stop here, so the last ones expire (and race their commits) before the load ends and the check waits
    /// little for them: the short run's budget.
    /// </summary>
    public TimeSpan HoldsUntil => Duration - HoldTtl - TimeSpan.FromSeconds(8) > Duration / 3 ? Duration - HoldTtl - TimeSpan.FromSeconds(8) : Duration / 3;

    public IReadOnlyList<string> Skus =>
        [.. Enumerable.Range(0, HotSkus).Select(i => $"{RunId}-hot-{i}"), .. Enumerable.Range(0, ColdSkus).Select(i => $"{RunId}-cold-{i}")];
}

/// <summary>
/// Many concurrent clients, each on its own seeded random stream: single- and multi-partition deductions, batches,
/// repeats of earlier ids (also after timeouts and unknown answers), cancels (also repeated) and idempotent
/// adjustments; at a modest share holds with the shortest TTL, commits to fresh order ids (repeated, some timed to race
/// the expiry), releases (repeated), partial returns of sold orders (repeated with the same return id) and cancels of
/// committed orders. Every request and answer goes to <see cref="HistoryOptions.Output"/> as a <see cref="HistoryOp"/>.
/// </summary>
public sealed partial class HistoryRunner(HistoryOptions options, Action<string> log)
{
    private readonly Counters _retried = new();
    private readonly Counters _statuses = new();
    private long _seq;
    private long _latestExpiryMs;

    public IReadOnlyDictionary<string, long> Statuses => _statuses.Snapshot();

    /// <summary>
    /// Unix ms by which every hold of the run has expired: each hold's answer time + TTL, and for a hold without an
    /// answer 10 s more (a request stalled by a paused primary may still claim it after the client gave up).
    /// </summary>
    public long LatestExpiryMs => Interlocked.Read(ref _latestExpiryMs);

    public async Task RunAsync(CancellationToken abort = default)
    {
        var watch = Stopwatch.StartNew();
        using var http = NewHttp();
        var client = new RetryingClient(http, options.RequestTimeout, options.GiveUpAfter, _retried) { BodyLimit = 64_000 };
        var stocker = new RetryingClient(http, options.RequestTimeout, TimeSpan.FromSeconds(60), _retried);
        await using var writer = new RecordWriter(options.Output);
        log($"history {options.RunId}: {options.Clients} clients for {options.Duration.TotalSeconds:0} s, seed {options.Seed}, records {options.Output}");

        var random = new Random(options.Seed);
        foreach (var sku in options.Skus)
        {
            var initial = sku.Contains("-hot-", StringComparison.Ordinal) ? options.HotStock : options.ColdStock;
            var json = JsonSerializer.Serialize(new { available = initial });
            var answer = await stocker.SendAsync(() => Requests.Json(HttpMethod.Put, $"api/stock/{sku}", json, options.AdminKey), random, abort);
            if (!answer.IsOk())
            {
                throw new InvalidOperationException($"stocking {sku} failed: {answer.Status} {answer.LastError} {answer.Body}");
            }

            writer.Write(new StockRecord(sku, initial, initial == options.HotStock));
        }

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(abort);
        stopping.CancelAfter(options.Duration);
        var loadWatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, options.Clients)
            .Select(i => Task.Run(() => ClientAsync(i, client, writer, loadWatch, stopping.Token, abort), CancellationToken.None)).ToList();
        var all = Task.WhenAll(workers);
        while (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None)) != all)
        {
            log($"history {options.RunId}: t={watch.Elapsed.TotalSeconds:0}s {Interlocked.Read(ref _seq)} ops; answers: {_statuses}; retried: {_retried}");
        }

        await all;
        log($"history {options.RunId}: done, {_seq} ops in {watch.Elapsed.TotalSeconds:0.0} s; answers: {_statuses}; retried: {_retried}");
    }

    /// <summary>
    /// After the faults stopped, every hold ended and the engine drained: GET /api/deductions/{id} for every order
    /// (deducted, or committed from a reservation) whose deduction or cancel stayed unknown, and GET
    /// /api/reservations/{id} for every reservation with an unknown hold, commit or release, appended to the records
    /// as <see cref="ResolutionRecord"/>s and <see cref="ReservationResolution"/>s.
    /// </summary>
    public async Task<int> ResolveAsync(CancellationToken abort = default)
    {
        var ops = JsonLines.Read<ClientRecord>(options.Output).OfType<HistoryOp>().ToList();
        var commits = ops.Where(o => o.Kind == "commit").ToList();
        var uncertain = ops.Where(o => o.IsDeduction || o.Kind == "cancel").Concat(commits.Select(c => c with { Id = c.Ref! }))
            .GroupBy(o => o.Id, StringComparer.Ordinal)
            .Where(g => g.Any(o => o.IsDeduction || o.Kind == "commit") && (
                (!g.Any(o => (o.IsDeduction || o.Kind == "commit") && o.Acknowledged) && g.Where(o => o.IsDeduction || o.Kind == "commit").MaxBy(o => o.Seq)!.Unknown)
                || (g.Any(o => o.Kind == "cancel") && !g.Any(o => o.Kind == "cancel" && o.Acknowledged))))
            .Select(g => g.Key).ToList();
        var reservations = ops.Where(o => o.Kind is "hold" or "commit" or "release" && o.Unknown).Select(o => o.Id).Distinct(StringComparer.Ordinal).ToList();
        using var http = NewHttp();
        var client = new RetryingClient(http, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), _retried);
        var random = new Random(options.Seed);
        async Task<(int Status, JsonElement? Body)> Get(string path)
        {
            var answer = await client.SendAsync(() =>
            {
                var message = new HttpRequestMessage(HttpMethod.Get, path);
                message.Headers.Add("x-functions-key", options.FunctionKey);
                return message;
            }, random, abort);
            if (answer.Status != 200 || answer.Body is null)
            {
                return (answer.Status, null);
            }

            using var document = JsonDocument.Parse(answer.Body);
            return (200, document.RootElement.Clone());
        }

        static string? Text(JsonElement? body, string name) =>
            body is { } b && b.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

        foreach (var id in uncertain)
        {
            var (status, body) = await Get($"api/deductions/{id}");
            JsonLines.Append<ClientRecord>(options.Output, new ResolutionRecord(id, status, Text(body, "status")));
        }

        foreach (var id in reservations)
        {
            var (status, body) = await Get($"api/reservations/{id}");
            JsonLines.Append<ClientRecord>(options.Output, new ReservationResolution(id, status, Text(body, "status"), Text(body, "orderId")));
        }

        return uncertain.Count + reservations.Count;
    }

    private HttpClient NewHttp() => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = options.Clients * 2 + 8,
        ConnectTimeout = TimeSpan.FromSeconds(3),
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
    })
    { BaseAddress = options.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };

    private sealed record Order(string Id, List<LineRecord> Lines)
    {
        public string Json => JsonSerializer.Serialize(new { orderId = Id, lines = Lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }) });
    }

    private async Task ClientAsync(int index, RetryingClient client, RecordWriter writer, Stopwatch watchStart, CancellationToken stopping, CancellationToken abort)
    {
        var random = new Random(unchecked(options.Seed * 1_000_003 + index));
        var mine = new List<Order>();
        var unknown = new List<Order>();
        var adjustments = new List<(string Id, string Sku, long Delta)>();
        var next = 0;
        Order NewOrder() => new($"{options.RunId}-{index}-{next++}", PickLines(random));
        var steps = new ReservationSteps(this, index, client, random, abort);

        Task<HistoryOp> Record(string kind, string id, IReadOnlyList<LineRecord>? lines, string? sku, long delta, Answer answer) =>
            RecordAsync(writer, index, kind, id, lines, sku, delta, answer);

        async Task<HistoryOp> Deduct(Order order)
        {
            var answer = await client.SendAsync(() => Requests.Json(HttpMethod.Post, "api/deductions", order.Json, options.FunctionKey), random, abort);
            var op = await Record("deduct", order.Id, order.Lines, null, 0, answer);
            (op.Unknown ? unknown : mine).Add(order);
            if (op.Acknowledged)
            {
                steps.Sold(order.Id, order.Lines);
            }

            return op;
        }

        async Task Cancel(Order order)
        {
            var answer = await client.SendAsync(() => Requests.Json(HttpMethod.Post, $"api/deductions/{order.Id}/cancel", "{}", options.FunctionKey), random, abort);
            await Record("cancel", order.Id, order.Lines, null, 0, answer);
        }

        while (!stopping.IsCancellationRequested)
        {
            if (await steps.RaceDueExpiryAsync(writer))
            {
                continue;
            }

            if (random.NextDouble() < options.ReservationShare)
            {
                await steps.StepAsync(writer, holding: watchStart.Elapsed < options.HoldsUntil);
                await PauseAsync(random, stopping);
                continue;
            }

            var roll = random.NextDouble();
            if (roll < 0.45)
            {
                var order = NewOrder();
                var op = await Deduct(order);
                // A timeout or an unknown answer: the same id again at once, like a checkout frontend would.
                for (var again = 0; op.Unknown && again < 2 && random.NextDouble() < 0.7 && !stopping.IsCancellationRequested; again++)
                {
                    op = await Deduct(order);
                }

                if (op.Acknowledged && random.NextDouble() < 0.15)
                {
                    await Deduct(order); // a repeat after success must replay
                }

                if (op.Acknowledged && random.NextDouble() < 0.1)
                {
                    await Cancel(order);
                    if (random.NextDouble() < 0.35)
                    {
                        await Cancel(order); // a repeated cancel must not restock twice
                    }
                }
            }
            else if (roll < 0.60)
            {
                var orders = Enumerable.Range(0, random.Next(2, 6)).Select(_ => NewOrder()).ToList();
                var json = JsonSerializer.Serialize(new { deductions = orders.Select(o => new { orderId = o.Id, lines = o.Lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }) }) });
                var answer = await client.SendAsync(() => Requests.Json(HttpMethod.Post, "api/deductions/batch", json, options.FunctionKey), random, abort);
                var items = BatchItems(answer, orders.Count);
                for (var i = 0; i < orders.Count; i++)
                {
                    var op = await Record("batch", orders[i].Id, orders[i].Lines, null, 0, answer with { Status = items[i], Body = null });
                    (op.Unknown ? unknown : mine).Add(orders[i]);
                    if (op.Acknowledged)
                    {
                        steps.Sold(orders[i].Id, orders[i].Lines);
                    }
                }
            }
            else if (roll < 0.75 && (unknown.Count > 0 || mine.Count > 0))
            {
                // The same id again later: an unknown one (resolving it) or an answered one (must replay).
                var pool = unknown.Count > 0 && random.NextDouble() < 0.75 ? unknown : mine.Count > 0 ? mine : unknown;
                var at = random.Next(pool.Count);
                var order = pool[at];
                pool.RemoveAt(at);
                await Deduct(order);
            }
            else if (roll < 0.88 && mine.Count + unknown.Count > 0)
            {
                // Cancel an earlier order (mostly answered ones, sometimes one whose outcome is unknown), maybe twice.
                var pool = unknown.Count > 0 && (mine.Count == 0 || random.NextDouble() < 0.2) ? unknown : mine;
                var order = pool[random.Next(pool.Count)];
                await Cancel(order);
                if (random.NextDouble() < 0.3)
                {
                    await Cancel(order);
                }
            }
            else
            {
                var repeat = adjustments.Count > 0 && random.NextDouble() < 0.3;
                var (id, sku, delta) = repeat
                    ? adjustments[random.Next(adjustments.Count)]
                    : ($"{options.RunId}-{index}-adj-{next++}", PickSku(random, 0.7), random.NextDouble() < 0.85 ? random.Next(3, 21) : -random.Next(1, 6));
                var json = JsonSerializer.Serialize(new { adjustmentId = id, delta, reason = delta > 0 ? "restock" : "shrinkage" });
                var answer = await client.SendAsync(() => Requests.Json(HttpMethod.Post, $"api/stock/{sku}/adjustments", json, options.AdminKey), random, abort);
                await Record("adjust", id, null, sku, delta, answer);
                if (!repeat)
                {
                    adjustments.Add((id, sku, delta));
                }
            }

            await PauseAsync(random, stopping);
        }
    }

    private static async Task PauseAsync(Random random, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(random.Next(0, 15), stopping);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<HistoryOp> RecordAsync(RecordWriter writer, int client, string kind, string id, IReadOnlyList<LineRecord>? lines, string? sku, long delta, Answer answer, string? reference = null)
    {
        var op = new HistoryOp(Interlocked.Increment(ref _seq), client, kind, id, lines, sku, delta, answer, reference);
        writer.Write(op);
        _statuses.Count($"{kind} {answer.Status}");
        await Task.Yield();
        return op;
    }

    private void ExpiresBy(long unixMs)
    {
        for (var seen = Interlocked.Read(ref _latestExpiryMs); unixMs > seen; seen = Interlocked.Read(ref _latestExpiryMs))
        {
            if (Interlocked.CompareExchange(ref _latestExpiryMs, unixMs, seen) == seen)
            {
                return;
            }
        }
    }

    /// <summary>Each item's status from a batch answer; every item unknown (0) if the batch itself got no 200.</summary>
    private static int[] BatchItems(Answer answer, int count)
    {
        var statuses = new int[count];
        if (answer.Status != 200 || answer.Body is null)
        {
            return statuses;
        }

        try
        {
            using var document = JsonDocument.Parse(answer.Body);
            var results = document.RootElement.GetProperty("results");
            var i = 0;
            foreach (var item in results.EnumerateArray())
            {
                if (i < count)
                {
                    statuses[i++] = item.GetProperty("status").GetInt32();
                }
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            Array.Clear(statuses);
        }

        return statuses;
    }

    private string PickSku(Random random, double hotRate) =>
        random.NextDouble() < hotRate
            ? $"{options.RunId}-hot-{random.Next(options.HotSkus)}"
            : $"{options.RunId}-cold-{random.Next(options.ColdSkus)}";

    private List<LineRecord> PickLines(Random random)
    {
        var count = random.NextDouble() < 0.35 ? random.Next(2, 5) : 1;
        return Enumerable.Range(0, count).Select(_ => new LineRecord(PickSku(random, 0.5), random.Next(1, 4))).ToList();
    }
}
