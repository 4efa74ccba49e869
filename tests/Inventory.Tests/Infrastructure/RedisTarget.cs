using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Redis;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Tests.Infrastructure;

/// <summary>A store on a real Redis (standalone or the 3-master cluster) under a key prefix of its own.</summary>
public sealed class RedisTarget : IAsyncDisposable
{
    private RedisTarget(string configuration, RedisOptions options)
    {
        Configuration = configuration;
        Options = options;
        Connection = RedisConnection.Connect(options);
        Partitioner = new Partitioner(options.Partitions);
        Activity = new JournalActivity(options.Partitions);
        Store = NewStore();
        Journal = new RedisJournal(Connection, options);
        Guard = new RedisPartitionGuard(Connection, options);

        // Like a fresh deployment: every partition gets its marker (nothing to rebuild).
        foreach (var partition in Guard.FindUnmarkedAsync().GetAwaiter().GetResult())
        {
            Guard.MarkAsync(partition).GetAwaiter().GetResult();
        }
    }

    public string Configuration { get; }

    public RedisOptions Options { get; }

    public IConnectionMultiplexer Connection { get; }

    public Partitioner Partitioner { get; }

    public JournalActivity Activity { get; }

    public RedisInventoryStore Store { get; }

    public RedisJournal Journal { get; }

    public RedisPartitionGuard Guard { get; }

    public bool IsCluster => Configuration.Contains(',');

    public static RedisTarget Create(string kind, Action<RedisOptions>? configure = null)
    {
        var configuration = kind == "cluster" ? TestEnvironment.RedisCluster : TestEnvironment.Redis;
        var options = new RedisOptions { SeenFilterBits = TestEnvironment.SeenFilterBits, Configuration = configuration, KeyPrefix = TestEnvironment.UniquePrefix(kind[..1]) };
        configure?.Invoke(options);
        return new RedisTarget(configuration, options);
    }

    public RedisInventoryStore NewStore(TimeProvider? time = null) =>
        new(Connection, Options, Partitioner, Activity, time ?? TimeProvider.System);

    public Order NewOrder(string orderId, params (string Sku, long Quantity)[] lines) =>
        Inventory.Domain.Order.Create(new DeductionRequest(orderId, lines.Select(l => new OrderLine(l.Sku, l.Quantity)).ToList()), Partitioner);

    /// <summary>SKU names that land in distinct partitions, optionally on distinct cluster masters.</summary>
    public IReadOnlyList<string> SkusInDistinctPartitions(int count, string stem, bool distinctMasters = false)
    {
        var skus = new List<string>();
        var usedPartitions = new HashSet<int>();
        var usedServers = new HashSet<string>();
        for (var i = 0; skus.Count < count && i < 100_000; i++)
        {
            var sku = $"{stem}-{i}";
            var partition = Partitioner.PartitionOf(sku);
            if (usedPartitions.Contains(partition))
            {
                continue;
            }

            if (distinctMasters)
            {
                var server = ServerOf(partition);
                if (!usedServers.Add(server))
                {
                    continue;
                }
            }

            usedPartitions.Add(partition);
            skus.Add(sku);
        }

        return skus.Count == count ? skus : throw new InvalidOperationException($"Could not find {count} SKUs in distinct partitions/masters.");
    }

    public string ServerOf(int partition)
    {
        var key = (RedisKey)$"{{{Options.KeyPrefix}:{partition}}}:stock";
        return Connection.GetDatabase().IdentifyEndpoint(key)?.ToString() ?? "standalone";
    }

    public async Task SetStockAsync(string sku, long available) => await Store.SetStockAsync(sku, available, null);

    public async Task<long> AvailableAsync(string sku) => (await Store.GetStockAsync([sku]))[0]!.Available;

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}
