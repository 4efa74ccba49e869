using Inventory.Sql.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Inventory.Sql.Tests;

public class BenchmarkTests(ITestOutputHelper output)
{
    /// <summary>A small run proves the benchmark drains correctly (it verifies stock itself) and measures both paths.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_benchmark_measures_both_paths_on_a_small_backlog(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider, migrate: false);
        var writer = new StringWriter();

        var results = await PersistenceBenchmark.RunAsync(
            db.Options, changes: 2000, spreadSkus: 200, naiveConcurrency: 4, naiveTimeLimit: TimeSpan.FromSeconds(2), log: writer);
        output.WriteLine(writer.ToString());

        Assert.Equal(["spread", "hot"], results.Select(r => r.Scenario));
        Assert.All(results, r => Assert.Equal(2000, r.EngineChanges));
        Assert.All(results, r => Assert.InRange(r.NaiveChanges, 1, 2000));
        Assert.All(results, r => Assert.True(r.EngineChangesPerSecond > 0 && r.NaiveChangesPerSecond > 0));
    }
}
