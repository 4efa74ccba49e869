using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Benchmarks;

/// <summary>The cost of durable acknowledgements (WAIT 1 after each deduction) on the 3-master cluster with replicas.</summary>
internal static class DurabilityBenchmarks
{
    public static async Task RunAsync(BenchmarkOptions options)
    {
        var total = Math.Min(options.Orders, 30_000);
        Console.WriteLine();
        Console.WriteLine($"Durable acknowledgements on the cluster ({options.Cluster}, {total:N0} single-SKU orders)");
        var (plainRate, plainP99) = await MeasureAsync(options, total, durable: false);
        var (durableRate, durableP99) = await MeasureAsync(options, total, durable: true);
        Measure.Row("default (answer after the primary)", plainRate, "orders/s");
        Measure.Row("  p99 latency", plainP99, "ms");
        Measure.Row("durable (WAIT 1 replica before answering)", durableRate, "orders/s");
        Measure.Row("  p99 latency", durableP99, "ms");
        Console.WriteLine($"  {"durable throughput vs default",-58} {durableRate / plainRate,12:P1}");
    }

    private static async Task<(double Rate, double P99)> MeasureAsync(BenchmarkOptions options, int total, bool durable)
    {
        var redisOptions = new RedisOptions { Configuration = options.Cluster, KeyPrefix = "dbench" + Guid.NewGuid().ToString("N")[..6], DurableAcknowledgements = durable };
        await using var bench = await StockedStore.CreateAsync(redisOptions, "d", total * 2L);
        var failures = 0;
        var result = await Measure.RateAndP99Async(total, options.Concurrency, async i =>
        {
            var outcome = await bench.Store.DeductAsync(bench.OrderFor("d", i));
            if (outcome.Status != DeductionStatus.Deducted)
            {
                Interlocked.Increment(ref failures);
            }
        });
        if (failures > 0)
        {
            Console.WriteLine($"  ({failures} of {total} not acknowledged with durable={durable})");
        }

        return result;
    }
}
