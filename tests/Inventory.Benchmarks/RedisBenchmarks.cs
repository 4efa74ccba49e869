using System.Diagnostics;
using System.Globalization;
using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Redis;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Benchmarks;

/// <summary>
/// The library's deductions/s beside redis-benchmark running the project's own scripts on the same Redis, and the
/// project's deduct script beside a minimal idempotent check-and-deduct script.
/// </summary>
internal static class RedisBenchmarks
{
    private const string MinimalScript = """
        if redis.call('SET', KEYS[2], '1', 'NX', 'EX', 3600) == false then return 0 end
        local left = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
        if left < tonumber(ARGV[2]) then redis.call('DEL', KEYS[2]) return -1 end
        return redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(ARGV[2]))
        """;

    public static async Task<double> RunAsync(BenchmarkOptions options)
    {
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..6];
        var redisOptions = new RedisOptions { Configuration = options.Redis, KeyPrefix = prefix };
        var perSku = options.Orders;
        await using var bench = await StockedStore.CreateAsync(redisOptions, "bench", perSku * 2L);
        var (connection, partitioner, store, skus) = (bench.Connection, bench.Partitioner, bench.Store, bench.Skus.ToList());

        Console.WriteLine();
        Console.WriteLine("Redis deduction path (single-SKU orders over 64 SKUs, unique order ids)");
        await Measure.RateAsync(2000, options.Concurrency, i => store.DeductAsync(bench.OrderFor("warm", i)));
        var library = await Measure.RateAsync(options.Orders, options.Concurrency, i =>
            store.DeductAsync(bench.OrderFor("lib", i)));
        var left = (await store.GetStockAsync(skus)).Sum(s => s!.Available);
        var expected = (skus.Count * perSku * 2L) - options.Orders - 2000;
        Measure.Row("library DeductAsync (claim, then deduct: two round trips)", library, "orders/s");
        Console.WriteLine($"  stock check: {left:N0} units left, expected {expected:N0}: {(left == expected ? "ok" : "MISMATCH")}");

        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var (host, port) = HostPort(options.Redis);
        var deductSha = Sha(await server.ScriptLoadAsync(Script("deduct")));
        var claimSha = Sha(await server.ScriptLoadAsync(Script("claim")));
        var minimalSha = Sha(await server.ScriptLoadAsync(MinimalScript));
        var tag = $"{{{prefix}:{partitioner.PartitionOf(skus[0])}}}";

        var deduct = RedisBenchmark(host, port, options, "EVALSHA", deductSha, "5", $"{tag}:stock", $"{tag}:seq", $"{tag}:journal", $"{tag}:marker", $"{tag}:o:__rand_int__",
            "99999999999999", "3600", "999999999", "rb-__rand_int__", "1", $"{skus[0]} 1", "1", skus[0], "1", "");
        // mode 'force' sets the seen filter's bits without the membership test a new id costs (7 GETBIT): a lower bound
        var claim = RedisBenchmark(host, port, options, "EVALSHA", claimSha, "4", $"{tag}:pending", $"{tag}:seen", $"{tag}:marker", $"{tag}:c:__rand_int__",
            "3600", "7", "rb-__rand_int__", $"{skus[0]} 1", $"{skus[0]} 1", "0", "0", "force", "1", "2", "3", "4", "5", "6", "7");
        var minimal = RedisBenchmark(host, port, options, "EVALSHA", minimalSha, "2", $"{tag}:stock", $"{tag}:min:__rand_int__", skus[0], "1");
        var combined = 1 / ((1 / deduct) + (1 / claim));

        Measure.Row("redis-benchmark EVALSHA deduct.lua", deduct, "ops/s");
        Measure.Row("redis-benchmark EVALSHA claim.lua", claim, "ops/s");
        Measure.Row("  claim + deduct per order (1 / (1/deduct + 1/claim))", combined, "orders/s");
        Measure.Row("redis-benchmark EVALSHA minimal check-and-deduct", minimal, "ops/s");
        Measure.Ratio("library orders/s vs redis-benchmark deduct.lua ops/s", library / deduct, 0.85);
        Measure.Ratio("library orders/s vs redis-benchmark, claim + deduct per order", library / combined, 0.85);
        Measure.Ratio("deduct.lua vs minimal script (how lean the Lua is)", deduct / minimal, 0.5);
        return library;
    }

    private static double RedisBenchmark(string host, int port, BenchmarkOptions options, params string[] command)
    {
        var info = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-h", host, "-p", port.ToString(CultureInfo.InvariantCulture), "-n", options.Orders.ToString(CultureInfo.InvariantCulture),
                     "-c", options.Concurrency.ToString(CultureInfo.InvariantCulture), "-r", "1000000000", "-q" }.Concat(command))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        // e.g. "EVALSHA ...: 61349.69 requests per second, p50=0.407 msec"
        var match = System.Text.RegularExpressions.Regex.Matches(output, @"([0-9.]+) requests per second")[^1];
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private static (string Host, int Port) HostPort(string configuration)
    {
        var first = configuration.Split(',')[0];
        var colon = first.LastIndexOf(':');
        return (first[..colon], int.Parse(first[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    private static string Script(string name)
    {
        using var stream = typeof(RedisInventoryStore).Assembly.GetManifestResourceStream($"Inventory.Redis.Scripts.{name}.lua")!;
        return new StreamReader(stream).ReadToEnd();
    }

    private static string Sha(byte[] hash) => Convert.ToHexString(hash).ToLowerInvariant();
}
