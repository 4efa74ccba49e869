using Inventory.Api.Hosting;
using Inventory.Application;
using Inventory.Domain;
using Inventory.Engine;
using Inventory.Redis;
using Inventory.Sql;
using Inventory.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Engine;

/// <summary>
/// Red-team: a rebuild whose drain ran out of time (the engine behind SQL, DrainWait passed) goes on with what SQL
/// holds. Stock keeps Redis's newer values (restore_stock.lua's sequence guard), records are written only where absent,
/// but the customer counters were overwritten with SQL's totals, which miss the surviving journal's tail.
/// The container both hosts build, without hosted services: the engine persists only when the test sweeps.
/// </summary>
public sealed class CustomerCounterDrainTests
{
    /// <summary>
    /// History: limit 2; customer c buys 1 (persisted), then 1 more (still only in the journal: the engine is behind);
    /// the partition is unmarked (a failover this process saw: the data survived); the rebuild's drain gives up after
    /// DrainWait, the counter is rewritten to SQL's 1 and the partition opens; c buys another: 3 units against 2.
    /// </summary>
    [Fact]
    public async Task A_rebuild_whose_drain_timed_out_keeps_the_units_the_journal_tail_counted()
    {
        await using var database = await TestDatabase.CreateAsync();
        var prefix = TestEnvironment.UniquePrefix("cd");
        await using var services = await BuildAsync(database, prefix);
        var inventory = services.GetRequiredService<InventoryService>();
        var partition = services.GetRequiredService<Partitioner>().PartitionOf("cd-sku");
        await inventory.SetStockAsync("cd-sku", 10, null, limitPerCustomer: 2);
        Assert.Equal(DeductionStatus.Deducted, (await inventory.DeductAsync(new DeductionRequest("cd-o1", [new OrderLine("cd-sku", 1)], "c1"))).Status);
        await services.GetRequiredService<JournalSweeper>().RunAsync();
        Assert.Equal(DeductionStatus.Deducted, (await inventory.DeductAsync(new DeductionRequest("cd-o2", [new OrderLine("cd-sku", 1)], "c1"))).Status);

        await services.GetRequiredService<RedisPartitionGuard>().UnmarkAsync(partition);
        Assert.Equal([partition], await services.GetRequiredService<RedisRecovery>().CheckAsync());

        var beyond = await inventory.DeductAsync(new DeductionRequest("cd-o3", [new OrderLine("cd-sku", 1)], "c1"));
        Assert.Equal(DeductionStatus.LimitExceeded, beyond.Status);
        Assert.Equal(8, (await inventory.GetStockAsync(["cd-sku"]))[0]!.Available);
    }

    private static async Task<ServiceProvider> BuildAsync(TestDatabase database, string prefix)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Redis:Configuration"] = TestEnvironment.Redis,
            ["Inventory:Redis:KeyPrefix"] = prefix,
            ["Inventory:Redis:Recovery:DrainWait"] = "00:00:01",
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
