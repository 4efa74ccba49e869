using Inventory.Benchmarks;

// Figures, not assertions: every target is a ratio against a baseline measured in this same run.
var options = BenchmarkOptions.Parse(args);
Console.WriteLine($"Inventory benchmarks  redis={options.Redis}  orders={options.Orders}  concurrency={options.Concurrency}");
if (options.Runs("redis"))
{
    await RedisBenchmarks.RunAsync(options);
}

if (options.Runs("http"))
{
    await HttpBenchmarks.RunAsync(options);
}
