using Inventory.Api.Hosting;
using Inventory.Application;
using Inventory.Domain;
using Inventory.Engine;
using Inventory.Persistence;
using Inventory.Sql;
using Inventory.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Inventory.Tests.Redis;

/// <summary>
/// Red-team (cancel path): an order's home partition (its claim, seen filter, open cancels and returns) loses its data
/// (a primary restarting empty) and is rebuilt from SQL, which brings claims back only when next asked about.
/// Finding 2: an order's home partition loses its data (a primary restarting empty) while the
/// engine is a few seconds behind on the partition that holds the order's deduction. The rebuild drained only the
/// lost partition's own journal, so it refilled the home's seen filter, and later restored the order's claim, from a
/// SQL that did not hold the order yet, or held only some of its partitions. A cancel then answered 404 (a tomb) while
/// the units stayed sold for ever, or 200 restocking only the persisted partitions; a retry of the deduction answered
/// 422. The engine runs in the background here as in a host, persisting entries once they are SweepGrace old (10 s:
/// the lag); the loss is staged by deleting the home partition's keys under this test's own prefix.
/// </summary>
public sealed class LostHomeTests
{
    [Fact]
    public async Task A_cancel_after_its_home_was_rebuilt_while_sql_lagged_restocks_the_units()
    {
        await using var database = await TestDatabase.CreateAsync();
        var prefix = TestEnvironment.UniquePrefix("hl");
        await using var services = await BuildAsync(database, prefix);
        var inventory = services.GetRequiredService<InventoryService>();
        var partitioner = services.GetRequiredService<Partitioner>();
        var sku = prefix + "-s";
        var partition = partitioner.PartitionOf(sku);
        var orderId = Enumerable.Range(0, 500).Select(i => $"{sku}-o{i}").First(id => partitioner.HomeOf(id) != partition);
        await inventory.SetStockAsync(sku, 10, null);
        await PersistAsync(services, partition);
        Assert.Equal(DeductionStatus.Deducted, (await inventory.DeductAsync(new DeductionRequest(orderId, [new OrderLine(sku, 3)]))).Status);

        await LoseHomeAndRebuildAsync(services, prefix, partitioner.HomeOf(orderId), orderId);
        await PersistAsync(services, partition);

        // Before: the refilled filter did not know the id, so the cancel left a tomb (404) and the 3 units stayed sold.
        var cancel = await inventory.CancelAsync(orderId);
        Assert.Equal(CancelStatus.Cancelled, cancel.Status);
        Assert.Equal(10, await AvailableAsync(inventory, sku));
    }

    [Fact]
    public async Task A_multi_partition_order_whose_home_was_rebuilt_while_sql_lagged_on_one_partition_cancels_whole()
    {
        await using var database = await TestDatabase.CreateAsync();
        var prefix = TestEnvironment.UniquePrefix("hm");
        await using var services = await BuildAsync(database, prefix);
        var inventory = services.GetRequiredService<InventoryService>();
        var partitioner = services.GetRequiredService<Partitioner>();
        var skus = Enumerable.Range(0, 100).Select(i => $"{prefix}-s{i}").DistinctBy(partitioner.PartitionOf).Take(2).ToList();
        var (a, b) = (skus[0], skus[1]);
        var (pa, pb) = (partitioner.PartitionOf(a), partitioner.PartitionOf(b));
        var orderId = Enumerable.Range(0, 500).Select(i => $"{a}-o{i}").First(id => partitioner.HomeOf(id) != pa && partitioner.HomeOf(id) != pb);
        await inventory.SetStockAsync(a, 10, null);
        await inventory.SetStockAsync(b, 10, null);
        await PersistAsync(services, pa);
        await PersistAsync(services, pb);
        var request = new DeductionRequest(orderId, [new OrderLine(a, 2), new OrderLine(b, 3)]);
        Assert.Equal(DeductionStatus.Deducted, (await inventory.DeductAsync(request)).Status);
        await PersistAsync(services, pa);

        await LoseHomeAndRebuildAsync(services, prefix, partitioner.HomeOf(orderId), orderId);

        // Before: the claim came back from SQL with a's line only; the retry answered 422 and the cancel restocked a only.
        var retry = await inventory.DeductAsync(request);
        Assert.Equal(DeductionStatus.Deducted, retry.Status);
        Assert.True(retry.Replayed);
        var cancel = await inventory.CancelAsync(orderId);
        Assert.Equal(CancelStatus.Cancelled, cancel.Status);
        Assert.Equal(2, cancel.Lines.Count);
        Assert.Equal((10L, 10L), (await AvailableAsync(inventory, a), await AvailableAsync(inventory, b)));
    }

    /// <summary>
    /// Finding 3: a cancel decided on the claim restocked a, but b's partition was down (503 unknown; GET answers
    /// cancelled, so the client stops there, as rule 7 promises it may). The order's home then loses its data before the
    /// sweep finished b: the open cancels go with it, the claim comes back from SQL as deducted (a cancelled, b not),
    /// and nothing ever restocks b without a client retry; GET now answers deducted.
    /// </summary>
    [Fact]
    public async Task A_half_finished_cancel_whose_home_is_lost_still_finishes_without_a_retry()
    {
        await using var database = await TestDatabase.CreateAsync();
        var prefix = TestEnvironment.UniquePrefix("hc");
        await using var services = await BuildAsync(database, prefix, recoverAfter: TimeSpan.Zero);
        var inventory = services.GetRequiredService<InventoryService>();
        var store = services.GetRequiredService<IInventoryStore>();
        var partitioner = services.GetRequiredService<Partitioner>();
        var skus = Enumerable.Range(0, 100).Select(i => $"{prefix}-s{i}").DistinctBy(partitioner.PartitionOf).Take(2).ToList();
        var (a, b) = (skus[0], skus[1]);
        var (pa, pb) = (partitioner.PartitionOf(a), partitioner.PartitionOf(b));
        var orderId = Enumerable.Range(0, 500).Select(i => $"{a}-o{i}").First(id => partitioner.HomeOf(id) != pa && partitioner.HomeOf(id) != pb);
        await inventory.SetStockAsync(a, 10, null);
        await inventory.SetStockAsync(b, 10, null);
        Assert.Equal(DeductionStatus.Deducted, (await inventory.DeductAsync(new DeductionRequest(orderId, [new OrderLine(a, 2), new OrderLine(b, 3)]))).Status);

        var db = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var marker = (RedisKey)$"{{{prefix}:{pb}}}:marker";
        var kept = await db.StringGetAsync(marker);
        await db.KeyDeleteAsync(marker);
        Assert.Equal(CancelStatus.Unknown, (await inventory.CancelAsync(orderId)).Status);
        Assert.Equal(OrderState.Cancelled, (await inventory.GetOrderAsync(orderId))!.State);
        await db.StringSetAsync(marker, kept);
        await PersistAsync(services, pa);
        await PersistAsync(services, pb);

        await LoseHomeAndRebuildAsync(services, prefix, partitioner.HomeOf(orderId), orderId);
        await store.RecoverAbandonedOrdersAsync();
        await store.RecoverAbandonedOrdersAsync();

        Assert.Equal((10L, 10L), (await AvailableAsync(inventory, a), await AvailableAsync(inventory, b)));
        Assert.Equal(OrderState.Cancelled, (await inventory.GetOrderAsync(orderId))!.State);
    }

    /// <summary>
    /// Finding 4: return r1 (a 1, b 1) is reserved on the claim and restocked in a, but b's partition was down (503
    /// unknown; the return stays open, rule "Returns" 3). The home then loses its data before the sweep rolled it
    /// forward: the open returns go with it, and the claim comes back from SQL with r1 as a finished return holding
    /// a's line only (SQL cannot tell a half-applied return from a whole one). The retry of r1 with its lines answered
    /// 422 (other lines), and b's returned unit never came back; now a restored return resumes when retried with lines
    /// that include its own (docs/redis-keys.md, "Returns").
    /// </summary>
    [Fact]
    public async Task A_half_applied_return_whose_home_is_lost_finishes_on_retry()
    {
        await using var database = await TestDatabase.CreateAsync();
        var prefix = TestEnvironment.UniquePrefix("hr");
        await using var services = await BuildAsync(database, prefix, recoverAfter: TimeSpan.Zero);
        var inventory = services.GetRequiredService<InventoryService>();
        var partitioner = services.GetRequiredService<Partitioner>();
        var skus = Enumerable.Range(0, 100).Select(i => $"{prefix}-s{i}").DistinctBy(partitioner.PartitionOf).Take(2).ToList();
        var (a, b) = (skus[0], skus[1]);
        var (pa, pb) = (partitioner.PartitionOf(a), partitioner.PartitionOf(b));
        var orderId = Enumerable.Range(0, 500).Select(i => $"{a}-o{i}").First(id => partitioner.HomeOf(id) != pa && partitioner.HomeOf(id) != pb);
        await inventory.SetStockAsync(a, 10, null);
        await inventory.SetStockAsync(b, 10, null);
        Assert.Equal(DeductionStatus.Deducted, (await inventory.DeductAsync(new DeductionRequest(orderId, [new OrderLine(a, 3), new OrderLine(b, 3)]))).Status);

        var db = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var marker = (RedisKey)$"{{{prefix}:{pb}}}:marker";
        var kept = await db.StringGetAsync(marker);
        await db.KeyDeleteAsync(marker);
        var r1 = new ReturnRequest(orderId, "r1", [new OrderLine(a, 1), new OrderLine(b, 1)], "");
        Assert.Equal(ReturnStatus.Unknown, (await inventory.ReturnAsync(r1)).Status);
        await db.StringSetAsync(marker, kept);
        await PersistAsync(services, pa);
        await PersistAsync(services, pb);

        await db.KeyDeleteAsync($"{{{prefix}:{partitioner.HomeOf(orderId)}}}:rn:{orderId.Length}:{orderId}:r1");
        await LoseHomeAndRebuildAsync(services, prefix, partitioner.HomeOf(orderId), orderId);

        // Lines that leave out or change what SQL saw restocked are still another request.
        Assert.Equal(ReturnStatus.Conflict, (await inventory.ReturnAsync(new ReturnRequest(orderId, "r1", [new OrderLine(a, 2), new OrderLine(b, 1)], ""))).Status);
        Assert.Equal(ReturnStatus.Conflict, (await inventory.ReturnAsync(new ReturnRequest(orderId, "r1", [new OrderLine(b, 1)], ""))).Status);
        Assert.Equal(ReturnStatus.Returned, (await inventory.ReturnAsync(r1)).Status);
        Assert.Equal((8L, 8L), (await AvailableAsync(inventory, a), await AvailableAsync(inventory, b)));
        var replay = await inventory.ReturnAsync(r1);
        Assert.Equal(ReturnStatus.Returned, replay.Status);
        Assert.True(replay.Replayed);
        Assert.Equal((8L, 8L), (await AvailableAsync(inventory, a), await AvailableAsync(inventory, b)));
    }

    /// <summary>Deletes the home partition's keys (as a primary restarting empty), then rebuilds it while the engine runs behind.</summary>
    private static async Task LoseHomeAndRebuildAsync(ServiceProvider services, string prefix, int home, string orderId)
    {
        var tag = $"{{{prefix}:{home}}}";
        var db = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        await db.KeyDeleteAsync(new[] { "stock", "seq", "journal", "marker", "pending", "seen", "cancels", "returns" }.Select(k => (RedisKey)$"{tag}:{k}").ToArray());
        await db.KeyDeleteAsync($"{tag}:c:{orderId}");

        using var stop = new CancellationTokenSource();
        var engine = RunEngineAsync(services, stop.Token);
        try
        {
            Assert.Contains(home, await services.GetRequiredService<RedisRecovery>().CheckAsync());
        }
        finally
        {
            await stop.CancelAsync();
            await engine;
        }
    }

    /// <summary>The host's journal sweep, every 200 ms: it persists a partition's entries once they are SweepGrace old.</summary>
    private static async Task RunEngineAsync(ServiceProvider services, CancellationToken cancellationToken)
    {
        var sweeper = services.GetRequiredService<JournalSweeper>();
        while (!cancellationToken.IsCancellationRequested)
        {
            await sweeper.RunAsync(CancellationToken.None);
            try
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Persists one partition's journal now, whatever its age.</summary>
    private static async Task PersistAsync(ServiceProvider services, int partition)
    {
        var cursor = (await services.GetRequiredService<ILedgerReader>().GetCursorsAsync()).FirstOrDefault(c => c.JournalPartition == partition)?.PersistedThrough ?? "0";
        var shard = new TaskSharding(16).OfPartition(partition); // Inventory:Sql:TaskShards, default
        await services.GetRequiredService<ITaskStore>().InsertAsync(shard, PersistTasks.For(new WakeupMessage(partition, cursor, null), 5));
        await services.GetRequiredService<TaskDispatcher>().DrainAsync([shard], TimeSpan.FromSeconds(30));
    }

    private static async Task<long> AvailableAsync(InventoryService inventory, string sku) =>
        (await inventory.GetStockAsync([sku]))[0]!.Available;

    private static async Task<ServiceProvider> BuildAsync(TestDatabase database, string prefix, TimeSpan? recoverAfter = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Redis:Configuration"] = TestEnvironment.Redis,
            ["Inventory:Redis:KeyPrefix"] = prefix,
            ["Inventory:Redis:SeenFilterBits"] = TestEnvironment.SeenFilterBits.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AzureWebJobsStorage"] = TestEnvironment.Storage,
            ["Inventory:Sql:Provider"] = "postgres",
            ["Inventory:Sql:ConnectionString"] = database.ConnectionString,
            ["Inventory:Engine:SweepGrace"] = "00:00:10",
            ["Inventory:Redis:RecoverAfter"] = (recoverAfter ?? TimeSpan.FromSeconds(30)).ToString(),
        }).Build();
        var services = new ServiceCollection().AddLogging().AddInventory(configuration).BuildServiceProvider();
        await services.GetRequiredService<SqlMigrator>().MigrateAsync();
        await services.GetRequiredService<RedisRecovery>().CheckAsync();
        return services;
    }
}
