using System.Globalization;

namespace Inventory.Benchmarks;

internal sealed record BenchmarkOptions(string Redis, string Cluster, string Postgres, int Orders, int Concurrency, string[] Parts)
{
    public bool Runs(string part) => Parts.Length == 0 || Parts.Contains(part);

    public static BenchmarkOptions Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
        }

        var parts = Value("--only", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        return new BenchmarkOptions(
            Value("--redis", Environment.GetEnvironmentVariable("INVENTORY_TEST_REDIS") ?? "127.0.0.1:6380"),
            Value("--cluster", Environment.GetEnvironmentVariable("INVENTORY_TEST_REDIS_CLUSTER") ?? "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003"),
            Value("--postgres", Environment.GetEnvironmentVariable("INVENTORY_TEST_POSTGRES") ?? "Host=127.0.0.1;Port=5433;Username=postgres;Database=inventory_test"),
            int.Parse(Value("--orders", "100000"), CultureInfo.InvariantCulture),
            int.Parse(Value("--concurrency", "64"), CultureInfo.InvariantCulture),
            parts);
    }
}
