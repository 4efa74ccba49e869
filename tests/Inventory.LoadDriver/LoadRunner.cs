using System.Diagnostics;
using System.Text.Json;

namespace Inventory.LoadDriver;

public sealed record LoadSummary(long Orders, long Accepted, long Insufficient, long OtherFinal, long NoFinalAnswer, long Cancelled, long CancelsWithoutAnswer,
    long Adjustments, long AdjustmentsApplied, long Attempts, IReadOnlyDictionary<string, long> Retried, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"{Orders} orders in {Elapsed.TotalSeconds:0.0} s ({Orders / Math.Max(0.001, Elapsed.TotalSeconds):0}/s): {Accepted} accepted, {Insufficient} insufficient, " +
        $"{OtherFinal} other final, {NoFinalAnswer} without a final answer; {Cancelled} cancelled ({CancelsWithoutAnswer} cancels without answer); " +
        $"{AdjustmentsApplied}/{Adjustments} adjustments applied; {Attempts} HTTP attempts; retried: " +
        (Retried.Count == 0 ? "none" : string.Join(", ", Retried.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value}")));
}

/// <summary>
/// Many checkout clients over the HTTP API: single- and multi-SKU orders over hot and cold SKUs, a few cancelled,
/// restocks and removals by an admin client, every request retried with the same id until a final answer. It
/// keeps going through server kills and restarts. Everything each client saw goes to <see cref="LoadOptions.Output"/>.
/// </summary>
public sealed class LoadRunner(LoadOptions options, Action<string> log)
{
    private readonly Counters _retried = new();
    private long _orders;
    private long _accepted;
    private long _insufficient;
    private long _otherFinal;
    private long _noAnswer;
    private long _cancelled;
    private long _cancelNoAnswer;
    private long _adjustments;
    private long _adjustmentsApplied;
    private long _attempts;

    public async Task<LoadSummary> RunAsync(CancellationToken abort = default)
    {
        var watch = Stopwatch.StartNew();
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Clients + 8,
            ConnectTimeout = TimeSpan.FromSeconds(3),
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        })
        { BaseAddress = options.BaseUrl, Timeout = Timeout.InfiniteTimeSpan };
        var client = new RetryingClient(http, options.RequestTimeout, options.GiveUpAfter, _retried);
        await using var writer = new RecordWriter(options.Output);
        log($"load {options.RunId}: {options.Clients} clients for {options.Duration.TotalSeconds:0} s against {options.BaseUrl}, " +
            $"{options.HotSkus} hot SKUs × {options.HotStock}, {options.ColdSkus} cold × {options.ColdStock}, seed {options.Seed}, records {options.Output}");

        await StockAsync(client, writer, abort);

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(abort);
        stopping.CancelAfter(options.Duration);
        var workers = Enumerable.Range(0, options.Clients).Select(i => Task.Run(() => ClientAsync(i, client, writer, stopping.Token, abort), CancellationToken.None)).ToList();
        if (options.AdjustEvery > TimeSpan.Zero)
        {
            workers.Add(Task.Run(() => AdjusterAsync(client, writer, stopping.Token, abort), CancellationToken.None));
        }

        var all = Task.WhenAll(workers);
        while (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5), CancellationToken.None)) != all)
        {
            log($"load {options.RunId}: t={watch.Elapsed.TotalSeconds:0}s {Interlocked.Read(ref _orders)} orders, {Interlocked.Read(ref _accepted)} accepted, " +
                $"{Interlocked.Read(ref _noAnswer)} without answer; retried: {_retried}");
        }

        await all;
        var summary = new LoadSummary(_orders, _accepted, _insufficient, _otherFinal, _noAnswer, _cancelled, _cancelNoAnswer, _adjustments, _adjustmentsApplied,
            _attempts, _retried.Snapshot(), watch.Elapsed);
        log($"load {options.RunId}: done. {summary}");
        return summary;
    }

    private async Task StockAsync(RetryingClient client, RecordWriter writer, CancellationToken abort)
    {
        var random = new Random(options.Seed);
        foreach (var (sku, hot) in options.HotSkuNames.Select(s => (s, true)).Concat(options.ColdSkuNames.Select(s => (s, false))))
        {
            var initial = hot ? options.HotStock : options.ColdStock;
            var json = JsonSerializer.Serialize(new { available = initial });
            var answer = await client.SendAsync(() => Requests.Json(HttpMethod.Put, $"api/stock/{sku}", json, options.AdminKey), random, abort);
            if (!answer.IsOk())
            {
                throw new InvalidOperationException($"stocking {sku} failed: {answer.Status} {answer.LastError} {answer.Body}");
            }

            writer.Write(new StockRecord(sku, initial, hot));
        }
    }

    private async Task ClientAsync(int index, RetryingClient client, RecordWriter writer, CancellationToken stopping, CancellationToken abort)
    {
        var random = new Random(unchecked(options.Seed * 1_000_003 + index));
        var hot = options.HotSkuNames;
        var cold = options.ColdSkuNames;
        for (var n = 0; !stopping.IsCancellationRequested; n++)
        {
            var orderId = $"{options.RunId}-{index}-{n}";
            var lines = PickLines(random, hot, cold);
            var json = JsonSerializer.Serialize(new { orderId, lines = lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }) });
            var answer = await client.SendAsync(() => Requests.Json(HttpMethod.Post, "api/deductions", json, options.FunctionKey), random, abort);
            Answer? cancel = null;
            if (answer.IsOk() && random.NextDouble() < options.CancelRate)
            {
                cancel = await client.SendAsync(() => Requests.Json(HttpMethod.Post, $"api/deductions/{orderId}/cancel", "{}", options.FunctionKey), random, abort);
            }

            writer.Write(new OrderRecord(orderId, index, lines, answer, cancel));
            Tally(answer, cancel);
            if (options.ThinkMilliseconds > 0)
            {
                await Delay(random.Next(options.ThinkMilliseconds * 2 + 1), stopping);
            }
        }
    }

    private List<LineRecord> PickLines(Random random, IReadOnlyList<string> hot, IReadOnlyList<string> cold)
    {
        var count = random.NextDouble() < options.MultiSkuRate ? random.Next(2, Math.Max(2, options.MaxLines) + 1) : 1;
        var lines = new List<LineRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var sku = (hot.Count > 0 && (cold.Count == 0 || random.NextDouble() < options.HotRate)) ? hot[random.Next(hot.Count)] : cold[random.Next(cold.Count)];
            lines.Add(new LineRecord(sku, random.Next(1, 4)));
        }

        return lines;
    }

    private async Task AdjusterAsync(RetryingClient client, RecordWriter writer, CancellationToken stopping, CancellationToken abort)
    {
        var random = new Random(unchecked(options.Seed * 1_000_003 - 1));
        var hot = options.HotSkuNames;
        var cold = options.ColdSkuNames;
        for (var n = 0; !stopping.IsCancellationRequested; n++)
        {
            await Delay((int)options.AdjustEvery.TotalMilliseconds, stopping);
            var sku = hot.Count > 0 && (cold.Count == 0 || random.NextDouble() < 0.7) ? hot[random.Next(hot.Count)] : cold[random.Next(cold.Count)];
            var restock = random.NextDouble() < 0.85;
            var delta = restock ? random.Next(5, 31) : -random.Next(1, 11);
            var adjustmentId = $"{options.RunId}-adj-{n}";
            var json = JsonSerializer.Serialize(new { adjustmentId, delta, reason = restock ? "restock" : "shrinkage" });
            var answer = await client.SendAsync(() => Requests.Json(HttpMethod.Post, $"api/stock/{sku}/adjustments", json, options.AdminKey), random, abort);
            writer.Write(new AdjustmentRecord(adjustmentId, sku, delta, answer));
            Interlocked.Increment(ref _adjustments);
            Interlocked.Add(ref _attempts, answer.Attempts);
            if (answer.IsOk())
            {
                Interlocked.Increment(ref _adjustmentsApplied);
            }
        }
    }

    private void Tally(Answer answer, Answer? cancel)
    {
        Interlocked.Increment(ref _orders);
        Interlocked.Add(ref _attempts, answer.Attempts + (cancel?.Attempts ?? 0));
        switch (answer.Status)
        {
            case 200:
                Interlocked.Increment(ref _accepted);
                break;
            case 409:
                Interlocked.Increment(ref _insufficient);
                break;
            case 0:
                Interlocked.Increment(ref _noAnswer);
                break;
            default:
                Interlocked.Increment(ref _otherFinal);
                break;
        }

        if (cancel is { Status: 200 })
        {
            Interlocked.Increment(ref _cancelled);
        }
        else if (cancel is { Status: 0 })
        {
            Interlocked.Increment(ref _cancelNoAnswer);
        }
    }

    private static async Task Delay(int milliseconds, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(milliseconds, stopping);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
