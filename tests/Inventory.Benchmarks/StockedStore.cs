using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Redis;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Benchmarks;

/// <summary>A Redis store under a fresh key prefix, partitions marked as at first start, 64 SKUs stocked.</summary>
internal sealed class StockedStore : IAsyncDisposable
{
    private StockedStore(IConnectionMultiplexer connection, RedisOptions options, IReadOnlyList<string> skus)
    {
        Connection = connection;
        Partitioner = new Partitioner(options.Partitions);
        Store = new RedisInventoryStore(connection, options, Partitioner, new JournalActivity(options.Partitions), TimeProvider.System);
        Skus = skus;
        Prefix = options.KeyPrefix;
    }

    public string Prefix { get; }

    public IConnectionMultiplexer Connection { get; }

    public Partitioner Partitioner { get; }

    public RedisInventoryStore Store { get; }

    public IReadOnlyList<string> Skus { get; }

    public static async Task<StockedStore> CreateAsync(RedisOptions options, string skuStem, long stockPerSku)
    {
        var connection = RedisConnection.Connect(options);
        var guard = new RedisPartitionGuard(connection, options);
        foreach (var partition in await guard.FindUnmarkedAsync())
        {
            await guard.MarkAsync(partition);
        }

        var stocked = new StockedStore(connection, options, Enumerable.Range(0, 64).Select(i => $"{skuStem}-{i}").ToList());
        foreach (var sku in stocked.Skus)
        {
            await stocked.Store.SetStockAsync(sku, stockPerSku, null);
        }

        return stocked;
    }

    /// <summary>Order number <paramref name="i"/>: one unit of one of the 64 SKUs, round robin.</summary>
    public Order OrderFor(string idStem, int i) =>
        Order.Create(new DeductionRequest($"{idStem}-{i}", [new OrderLine(Skus[i % Skus.Count], 1)]), Partitioner);

    /// <summary>Deletes the run's keys (stock, records, claims, seen filters), so repeated runs do not fill the dev Redis.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var endpoint in Connection.GetEndPoints())
        {
            var server = Connection.GetServer(endpoint);
            if (server.IsReplica)
            {
                continue;
            }

            // one key per command: on a cluster the partitions' keys live in different slots
            foreach (var chunk in server.Keys(pattern: "{" + Prefix + ":*", pageSize: 1000).Chunk(1000))
            {
                var db = Connection.GetDatabase();
                await Task.WhenAll(chunk.Select(k => db.KeyDeleteAsync(k)));
            }
        }

        await Connection.DisposeAsync();
    }
}
