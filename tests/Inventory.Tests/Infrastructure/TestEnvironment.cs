namespace Inventory.Tests.Infrastructure;

/// <summary>Where the services started by scripts/services.sh listen; overridable through the environment.</summary>
public static class TestEnvironment
{
    public static string Redis => Get("INVENTORY_TEST_REDIS", "127.0.0.1:6380");

    public static string RedisCluster => Get("INVENTORY_TEST_REDIS_CLUSTER", "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003");

    public static string Postgres => Get("INVENTORY_TEST_POSTGRES", "Host=127.0.0.1;Port=5433;Username=postgres;Database=inventory_test");

    public static string Storage => Get("INVENTORY_TEST_STORAGE", "UseDevelopmentStorage=true");

    public static bool LongRuns => Environment.GetEnvironmentVariable("INVENTORY_LONG_TESTS") == "1";

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// Every test run uses fresh key prefixes, and each prefix's seen filter is a bitmap per home partition: at the
    /// production size (1 MiB each) a few hundred test servers would fill the dev Redis, so tests use 8 KiB.
    /// </summary>
    public const long SeenFilterBits = 1 << 16;

    public static string UniquePrefix(string name) => $"t{name}{Guid.NewGuid().ToString("N")[..8]}";

    private static string Get(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Inventory.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Inventory.sln not found above " + AppContext.BaseDirectory);
    }
}
