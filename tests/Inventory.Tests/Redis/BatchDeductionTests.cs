using Inventory.Domain;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Redis;

/// <summary>
/// The batch path decides many orders per script call (one claim.lua call per home partition, one deduct.lua call per
/// stock partition): each order must still be answered exactly as the single route answers it.
/// </summary>
public class BatchDeductionTests
{
    public static TheoryData<string> Kinds => new() { "standalone", "cluster" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_batch_of_500_answers_exactly_what_500_single_calls_would(string kind)
    {
        // The same history on two fresh prefixes: the batch on one, the single route one order at a time on the other.
        await using var batched = RedisTarget.Create(kind);
        await using var single = RedisTarget.Create(kind);
        var scenario = new Scenario(batched);
        Assert.Equal(500, scenario.Requests.Count);

        await scenario.ArrangeAsync(batched);
        await scenario.ArrangeAsync(single);
        var fromBatch = await batched.Store.DeductManyAsync(scenario.Orders(batched));
        var fromSingles = new List<DeductionOutcome>();
        foreach (var order in scenario.Orders(single))
        {
            fromSingles.Add(await single.Store.DeductAsync(order));
        }

        Assert.Equal(fromSingles.Select(Describe), fromBatch.Select(Describe));
        Assert.Equal(await StockAsync(single, scenario.Skus), await StockAsync(batched, scenario.Skus));
        // The same journal: per SKU, the same changes in the same order with the same sequences and stock after.
        var journal = await JournalBySkuAsync(batched);
        Assert.Equal(await JournalBySkuAsync(single), journal);
        Assert.Contains(journal, j => j.Contains("void/", StringComparison.Ordinal));

        // Every kind of answer occurred, so the comparison covered each rule.
        var statuses = fromBatch.Select(o => o.Status).ToHashSet();
        Assert.Superset(new HashSet<DeductionStatus>
        {
            DeductionStatus.Deducted, DeductionStatus.Insufficient, DeductionStatus.UnknownSku, DeductionStatus.Conflict, DeductionStatus.Cancelled,
        }, statuses);
        Assert.Contains(fromBatch, o => o.Replayed);
        Assert.Contains(fromBatch.Zip(scenario.Orders(batched)), p => p.First.Status == DeductionStatus.Deducted && !p.Second.IsSinglePartition);
        Assert.Contains(fromBatch.Zip(scenario.Orders(batched)), p => p.First.Status == DeductionStatus.Insufficient && !p.Second.IsSinglePartition);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Parallel_batches_hammering_a_few_skus_never_oversell_and_sell_exactly_what_they_answer(string kind)
    {
        await using var redis = RedisTarget.Create(kind);
        var skus = redis.SkusInDistinctPartitions(3, "hammer");
        const long stock = 800;
        foreach (var sku in skus)
        {
            await redis.SetStockAsync(sku, stock);
        }

        // 8 batches at once over 3 SKUs, more demand than stock so it runs out midway: single-SKU orders, each sent by
        // two batches (racing replays), and multi-partition orders, each sent once.
        var random = new Random(5);
        var requests = Enumerable.Range(0, 1200).Select(i =>
        {
            var picked = skus.OrderBy(_ => random.Next()).Take(i % 4 == 0 ? random.Next(2, 4) : 1);
            return redis.NewOrder($"h-{i}", picked.Select(s => (s, (long)random.Next(1, 4))).ToArray());
        }).ToList();
        var batches = Enumerable.Range(0, 8).Select(b => requests.Where((o, i) => i % 4 == b % 4 && (b < 4 || o.IsSinglePartition))
            .OrderBy(_ => random.Next()).ToList()).ToList();

        var answers = await Task.WhenAll(batches.Select(b => Task.Run(() => redis.Store.DeductManyAsync(b))));

        var byId = batches.SelectMany(b => b).Zip(answers.SelectMany(a => a)).GroupBy(p => p.First.OrderId).ToList();
        Assert.All(byId, g => Assert.All(g, p => Assert.Contains(p.Second.Status, new[] { DeductionStatus.Deducted, DeductionStatus.Insufficient })));
        // Every answer that says deducted says it with the same lines: the id sold once.
        var deducted = byId.Select(g => g.Where(p => p.Second.Status == DeductionStatus.Deducted).ToList()).Where(d => d.Count > 0).ToList();
        Assert.All(deducted, d => Assert.Single(d.Select(p => Describe(p.Second with { Replayed = false })).Distinct()));
        Assert.All(deducted, d => Assert.Single(d, p => !p.Second.Replayed));
        var sold = deducted.Select(d => d[0].First).ToList();
        Assert.NotEmpty(sold);
        Assert.True(sold.Count < requests.Count, "stock should run out for some orders");
        foreach (var sku in skus)
        {
            var left = await redis.AvailableAsync(sku);
            Assert.True(left >= 0);
            Assert.Equal(stock - sold.SelectMany(o => o.Lines).Where(l => l.Sku == sku).Sum(l => l.Quantity), left);
        }
    }

    [Fact]
    public async Task A_durable_batch_acknowledges_every_order_only_with_a_replica()
    {
        // A generous wait: this case is about every order being covered, not about the timeout, and a busy machine's
        // replicas can lag the default 200 ms.
        await using var durable = RedisTarget.Create("cluster", o =>
        {
            o.DurableAcknowledgements = true;
            o.DurableTimeoutMilliseconds = 5000;
        });
        var skus = durable.SkusInDistinctPartitions(4, "dur-batch", distinctMasters: false);
        foreach (var sku in skus)
        {
            await durable.SetStockAsync(sku, 1000);
        }

        var orders = Enumerable.Range(0, 300).Select(i => i % 5 == 0
            ? durable.NewOrder($"db-{i}", (skus[i % 4], 1), (skus[(i + 1) % 4], 1))
            : durable.NewOrder($"db-{i}", (skus[i % 4], 1))).ToList();
        var answers = await durable.Store.DeductManyAsync(orders);
        var replays = await durable.Store.DeductManyAsync(orders);

        Assert.All(answers.Concat(replays), a => Assert.Equal(DeductionStatus.Deducted, a.Status));
        Assert.All(replays, a => Assert.True(a.Replayed));

        // Without a replica no order of the batch is acknowledged, and each stands: a retry replays, never deducts again.
        // (the stock is set without waiting: a durable set would time out here too)
        await using var bare = RedisTarget.Create("standalone");
        await bare.SetStockAsync("bare", 100);
        await using var lonely = RedisTarget.Create("standalone", o =>
        {
            o.DurableAcknowledgements = true;
            o.DurableTimeoutMilliseconds = 50;
            o.KeyPrefix = bare.Options.KeyPrefix;
        });
        var batch = Enumerable.Range(0, 40).Select(i => lonely.NewOrder($"nb-{i}", ("bare", 1))).ToList();

        Assert.All(await lonely.Store.DeductManyAsync(batch), a => Assert.Equal(DeductionStatus.Unknown, a.Status));
        Assert.All(await lonely.Store.DeductManyAsync(batch), a => Assert.Equal(DeductionStatus.Unknown, a.Status));
        Assert.Equal(60, await bare.AvailableAsync("bare"));
    }

    private static string Describe(DeductionOutcome o) => string.Join('|', o.OrderId, o.Status, o.Replayed,
        string.Join(',', o.Lines.Select(l => $"{l.Sku} {l.Quantity} {l.Remaining}")),
        string.Join(',', (o.Short ?? []).Select(s => $"{s.Sku} {s.Requested} {s.Available}")),
        string.Join(',', o.UnknownSkus ?? []));

    private static async Task<List<string>> JournalBySkuAsync(RedisTarget redis)
    {
        var entries = new List<Inventory.Persistence.JournalEntry>();
        for (var partition = 0; partition < redis.Partitioner.Count; partition++)
        {
            entries.AddRange(await redis.Journal.ReadAsync(partition, "0", 100_000));
        }

        return entries.GroupBy(e => e.Sku).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key + ": " + string.Join(' ', g.Select(e => $"{e.Kind}/{e.ReferenceId}/{e.Delta}/{e.Sequence}/{e.AvailableAfter}"))).ToList();
    }

    private static async Task<List<long?>> StockAsync(RedisTarget redis, IEnumerable<string> skus) =>
        (await redis.Store.GetStockAsync(skus.ToList())).Select(s => s?.Available).ToList();

    /// <summary>
    /// 500 requests of every kind. Orders that the batch finishes after its shared calls (a rebind, an abort's void)
    /// touch SKUs of their own, so the stock each answer reports does not depend on when they finish.
    /// </summary>
    private sealed class Scenario
    {
        private readonly List<(string Id, (string Sku, long Quantity)[] Lines)> _earlier = [];
        private readonly List<string> _cancelled = [];
        private readonly List<(string Id, (string Sku, long Quantity)[] Lines)> _refused = [];
        private readonly Dictionary<string, long> _stock = new(StringComparer.Ordinal);

        public Scenario(RedisTarget redis)
        {
            var random = new Random(42);
            var plenty = redis.SkusInDistinctPartitions(12, "plenty");
            var scarce = redis.SkusInDistinctPartitions(3, "scarce");
            var empty = redis.SkusInDistinctPartitions(2, "empty");
            foreach (var sku in plenty)
            {
                _stock[sku] = 1_000_000;
            }

            foreach (var sku in scarce)
            {
                _stock[sku] = 12;
            }

            foreach (var sku in empty)
            {
                _stock[sku] = 0;
            }

            var solo = 0;
            string Solo()
            {
                var sku = $"solo-{solo++}";
                _stock[sku] = 10;
                return sku;
            }

            (string, long) Plenty() => (plenty[random.Next(plenty.Count)], random.Next(1, 4));
            (string, long)[] Across(int count) => plenty.OrderBy(_ => random.Next()).Take(count).Select(s => (s, (long)random.Next(1, 4))).ToArray();

            for (var i = 0; i < 20; i++)
            {
                _earlier.Add(($"old-{i}", i % 2 == 0 ? [Plenty()] : Across(2)));
            }

            for (var i = 0; i < 6; i++)
            {
                _cancelled.Add($"gone-{i}");
                _earlier.Add(($"gone-{i}", [Plenty()]));
            }

            // Refused earlier: their claims stay open with those lines, so other lines rebind them.
            for (var i = 0; i < 30; i++)
            {
                _refused.Add(($"open-{i}", [(empty[i % empty.Count], 1)]));
            }

            var rebound = 0;

            var fresh = new List<int>();
            for (var i = 0; Requests.Count < 500; i++)
            {
                var id = $"n-{i}";
                (string, long)[]? lines = (i % 20) switch
                {
                    0 or 1 or 2 or 3 or 4 => [Plenty()],
                    5 or 6 => Across(random.Next(2, 4)),
                    7 or 8 or 9 => [(scarce[random.Next(scarce.Count)], random.Next(1, 4))],
                    10 => [(empty[random.Next(empty.Count)], 1)],
                    11 => [($"never-{i}", 1)],
                    12 => [(empty[random.Next(empty.Count)], 1), (Solo(), 1)],
                    13 => [($"never-{i}", 1), (Solo(), 2)],
                    _ => null,
                };
                if (lines is not null)
                {
                    if ((i % 20) is < 7)
                    {
                        fresh.Add(Requests.Count);
                    }

                    Requests.Add((id, lines));
                    continue;
                }

                switch (i % 20)
                {
                    case 14:
                        var old = _earlier[random.Next(20)];
                        Requests.Add(random.Next(2) == 0 ? old : (old.Id, [(Solo(), 1)]));
                        break;
                    case 15:
                        Requests.Add(_earlier[20 + random.Next(_cancelled.Count)]);
                        break;
                    case 16:
                        // each once: two rebinds of one id race in the batch, where the single route runs them in turn
                        Requests.Add((_refused[rebound++].Id, [(Solo(), 1)]));
                        break;
                    case 17 or 18 when fresh.Count > 0:
                        // within the batch: the same lines again, or other lines under an id that deducted
                        var first = Requests[fresh[random.Next(fresh.Count)]];
                        Requests.Add(i % 20 == 17 ? first : (first.Id, [(Solo(), 1)]));
                        break;
                    default:
                        Requests.Add((id, [Plenty()]));
                        break;
                }
            }
        }

        public List<(string Id, (string Sku, long Quantity)[] Lines)> Requests { get; } = [];

        public IEnumerable<string> Skus => _stock.Keys;

        public List<Order> Orders(RedisTarget redis) => Requests.Select(r => redis.NewOrder(r.Id, r.Lines)).ToList();

        public async Task ArrangeAsync(RedisTarget redis)
        {
            foreach (var (sku, available) in _stock)
            {
                await redis.SetStockAsync(sku, available);
            }

            foreach (var (id, lines) in _earlier.Concat(_refused))
            {
                await redis.Store.DeductAsync(redis.NewOrder(id, lines));
            }

            foreach (var id in _cancelled)
            {
                Assert.Equal(CancelStatus.Cancelled, (await redis.Store.CancelAsync(id)).Status);
            }

            var refused = await Task.WhenAll(_refused.Select(r => redis.Store.GetOrderAsync(r.Id)));
            Assert.All(refused, Assert.Null);
        }
    }
}
