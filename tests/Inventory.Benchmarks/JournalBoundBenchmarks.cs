using System.Diagnostics;
using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Benchmarks;

/// <summary>
/// How long SQL can be away at full load before the journal bound refuses sales: deductions at full speed with no
/// engine trimming the journal, timed until the first partition answers "unavailable" at a reduced bound.
/// </summary>
internal static class JournalBoundBenchmarks
{
    public static async Task RunAsync(BenchmarkOptions options)
    {
        const long limit = 50_000;
        var defaults = new RedisOptions();
        var redisOptions = new RedisOptions { Configuration = options.Redis, KeyPrefix = "jbench" + Guid.NewGuid().ToString("N")[..6], JournalLimit = limit };
        await using var bench = await StockedStore.CreateAsync(redisOptions, "j", 10_000_000);
        var watch = Stopwatch.StartNew();
        var sold = 0L;
        var refused = 0;
        await Measure.RateAsync(int.MaxValue / 2, options.Concurrency, async i =>
        {
            if (Volatile.Read(ref refused) > 0)
            {
                return;
            }

            var outcome = await bench.Store.DeductAsync(bench.OrderFor("j", i));
            if (outcome.Status == DeductionStatus.Deducted)
            {
                Interlocked.Increment(ref sold);
            }
            else if (outcome.Status == DeductionStatus.Unavailable && Interlocked.Increment(ref refused) == 1)
            {
                watch.Stop();
            }
        }, () => Volatile.Read(ref refused) > 0);

        var seconds = watch.Elapsed.TotalSeconds;
        var scale = (double)defaults.JournalLimit / limit;
        Console.WriteLine();
        Console.WriteLine($"Journal bound (no engine; JournalLimit {limit:N0} per partition, {redisOptions.Partitions} partitions)");
        Measure.Row("sales accepted before the first 503", sold, "orders");
        Measure.Row("time until the first partition refused", seconds, "s");
        Measure.Row($"at the default JournalLimit {defaults.JournalLimit:N0}", seconds * scale, "s");
        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(options.Redis + ",allowAdmin=true");
        var info = await admin.GetServer(admin.GetEndPoints()[0]).InfoAsync("memory");
        var used = info.SelectMany(g => g).FirstOrDefault(p => p.Key == "used_memory_human").Value;
        Console.WriteLine($"  Redis used_memory after the run: {used}");
    }
}
