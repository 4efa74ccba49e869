using Inventory.Sql;

namespace Inventory.Benchmarks;

/// <summary>Persisted changes/s: the engine draining a backlog beside one transaction per change on the same database.</summary>
internal static class EngineBenchmarks
{
    public static async Task RunAsync(BenchmarkOptions options, double redisOrdersPerSecond)
    {
        Console.WriteLine();
        Console.WriteLine($"Task engine (PostgreSQL, a backlog of {options.Orders:N0} accepted deductions per scenario)");
        var results = await PersistenceBenchmark.RunAsync(new SqlOptions { Provider = SqlProvider.Postgres, ConnectionString = options.Postgres }, options.Orders);
        foreach (var result in results)
        {
            Measure.Row($"engine, {result.Scenario} ({result.Skus:N0} SKUs)", result.EngineChangesPerSecond, "changes/s");
            Measure.Row($"naive one transaction per change, {result.Scenario}", result.NaiveChangesPerSecond, "changes/s");
            Console.WriteLine($"  {"engine vs naive, " + result.Scenario,-58} {result.Speedup,11:0.0}x   target >= 10x  {(result.Speedup >= 10 ? "met" : "NOT met")}");
        }

        if (redisOrdersPerSecond > 0)
        {
            var slowest = results.Min(r => r.EngineChangesPerSecond);
            Measure.Ratio("slowest engine scenario vs the Redis deduction rate", slowest / redisOrdersPerSecond, 1.0);
        }
    }
}
