using Inventory.Benchmarks;

// Figures, not assertions: every target is a ratio against a baseline measured in this same run.
var options = BenchmarkOptions.Parse(args);
Console.WriteLine($"Inventory benchmarks  redis={options.Redis}  orders={options.Orders}  concurrency={options.Concurrency}");
var redisRate = 0.0;
if (options.Runs("redis"))
{
    redisRate = await RedisBenchmarks.RunAsync(options);
}

if (options.Runs("durable"))
{
    await DurabilityBenchmarks.RunAsync(options);
}

if (options.Parts.Contains("journal"))
{
    await JournalBoundBenchmarks.RunAsync(options);
}

if (options.Runs("http"))
{
    await HttpBenchmarks.RunAsync(options);
}

if (options.Runs("engine"))
{
    await EngineBenchmarks.RunAsync(options, redisRate);
}
