using Inventory.Api.Hosting;
using Inventory.Application;
using Inventory.Domain;
using Inventory.Engine;
using Inventory.Sql;
using Inventory.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Inventory.Tests.Engine;

/// <summary>
/// Red-team: a return left open on an intact claim (the process died between the restocks and return_finish.lua)
/// while the partition it restocked loses its data. The rebuild writes the record back with <c>ret</c> (the units
/// returns restocked) but without the <c>R:&lt;returnId&gt;</c> fields that make return_apply.lua idempotent, so the
/// roll-forward (a retry of the return id, or the sweep) restocks the same return a second time.
/// The loss is simulated by deleting the partition's keys under this test's own prefix (the shared Redis is not wiped).
/// </summary>
public sealed class RestoredRecordReturnTests
{
    /// <summary>
    /// History: order o (customer c, 3 units of s in partition p, its claim in home h ≠ p); return r1 of 1 unit
    /// reserved on the claim and restocked in p, then the process dies before closing it (r1 open on h); the engine
    /// persists everything; p loses its data and is rebuilt (record: deducted 3, ret 1, no R:r1); the client retries
    /// r1: return_claim.lua finds it open and answers go, return_apply.lua finds no R:r1 and 2 returnable, and
    /// restocks 1 unit again (conjured) and gives c's allowance back twice.
    /// </summary>
    [Fact]
    public async Task A_return_rolled_forward_after_its_partition_was_rebuilt_restocks_nothing_again()
    {
        await using var database = await TestDatabase.CreateAsync();
        var prefix = TestEnvironment.UniquePrefix("rr");
        await using var services = await BuildAsync(database, prefix);
        var inventory = services.GetRequiredService<InventoryService>();
        var partitioner = services.GetRequiredService<Partitioner>();
        const string sku = "rr-sku";
        var partition = partitioner.PartitionOf(sku);
        var orderId = Enumerable.Range(0, 100).Select(i => $"rr-o{i}").First(id => partitioner.HomeOf(id) != partition);
        var home = partitioner.HomeOf(orderId);
        await inventory.SetStockAsync(sku, 10, null, limitPerCustomer: 5);
        Assert.Equal(DeductionStatus.Deducted, (await inventory.DeductAsync(new DeductionRequest(orderId, [new OrderLine(sku, 3)], "c1"))).Status);
        Assert.Equal(ReturnStatus.Returned, (await inventory.ReturnAsync(new ReturnRequest(orderId, "r1", [new OrderLine(sku, 1)], ""))).Status);
        Assert.Equal(8, await AvailableAsync(inventory, sku));

        // The state a process leaves when it dies after the restocks, before return_finish.lua.
        var db = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        await db.HashSetAsync($"{{{prefix}:{home}}}:rn:{orderId.Length}:{orderId}:r1", "st", "open");
        await db.SortedSetAddAsync($"{{{prefix}:{home}}}:returns", $"{orderId} r1", 0);
        await services.GetRequiredService<JournalSweeper>().RunAsync();

        // Partition p loses its data (as a cluster primary restarting empty would), then is rebuilt from SQL.
        var server = services.GetRequiredService<IConnectionMultiplexer>().GetServers().Single(s => !s.IsReplica);
        await foreach (var key in server.KeysAsync(pattern: $"{{{prefix}:{partition}}}*"))
        {
            await db.KeyDeleteAsync(key);
        }

        Assert.Equal([partition], await services.GetRequiredService<RedisRecovery>().CheckAsync());
        Assert.Equal(8, await AvailableAsync(inventory, sku));

        var retried = await inventory.ReturnAsync(new ReturnRequest(orderId, "r1", [new OrderLine(sku, 1)], ""));

        Assert.Equal(ReturnStatus.Returned, retried.Status);
        Assert.Equal(8, await AvailableAsync(inventory, sku));
        Assert.Equal(2, (long)await db.HashGetAsync($"{{{prefix}:{partition}}}:cu:c1", sku));
    }

    private static async Task<long> AvailableAsync(InventoryService inventory, string sku) =>
        (await inventory.GetStockAsync([sku]))[0]!.Available;

    private static async Task<ServiceProvider> BuildAsync(TestDatabase database, string prefix)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Redis:Configuration"] = TestEnvironment.Redis,
            ["Inventory:Redis:KeyPrefix"] = prefix,
            ["AzureWebJobsStorage"] = TestEnvironment.Storage,
            ["Inventory:Sql:Provider"] = "postgres",
            ["Inventory:Sql:ConnectionString"] = database.ConnectionString,
            ["Inventory:Engine:SweepGrace"] = "00:00:00",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddInventory(configuration).BuildServiceProvider();
        await services.GetRequiredService<SqlMigrator>().MigrateAsync();
        await services.GetRequiredService<RedisRecovery>().CheckAsync();
        return services;
    }
}
