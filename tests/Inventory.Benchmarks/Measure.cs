using System.Diagnostics;

namespace Inventory.Benchmarks;

internal static class Measure
{
    /// <summary>Runs <paramref name="total"/> operations over <paramref name="concurrency"/> loops; returns operations per second.</summary>
    public static async Task<double> RateAsync(int total, int concurrency, Func<int, Task> operation, Func<bool>? stop = null)
    {
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < total && stop?.Invoke() != true)
            {
                await operation(i);
            }
        })));
        return Math.Min(total, next) / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Like <see cref="RateAsync"/>, also returning the 99th percentile latency of one operation in ms.</summary>
    public static async Task<(double Rate, double P99)> RateAndP99Async(int total, int concurrency, Func<int, Task> operation)
    {
        var latencies = new double[total];
        var rate = await RateAsync(total, concurrency, async i =>
        {
            var started = Stopwatch.GetTimestamp();
            await operation(i);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        });
        Array.Sort(latencies);
        return (rate, latencies[(int)(total * 0.99)]);
    }

    public static void Row(string name, double value, string unit = "/s") => Console.WriteLine($"  {name,-58} {value,12:N0} {unit}");

    public static void Ratio(string name, double value, double target) =>
        Console.WriteLine($"  {name,-58} {value,12:P1}   target >= {target:P0}  {(value >= target ? "met" : "NOT met")}");
}
