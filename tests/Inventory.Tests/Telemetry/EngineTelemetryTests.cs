using System.Diagnostics;
using Inventory.Api.Hosting;
using Inventory.Application;
using Inventory.Domain;
using Inventory.Engine;
using Inventory.Persistence;
using Inventory.Sql;
using Inventory.Telemetry;
using Inventory.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Telemetry;

/// <summary>The task engine's metrics and spans, through the container both hosts build, on PostgreSQL and the standalone Redis.</summary>
public sealed class EngineTelemetryTests
{
    [Fact]
    public async Task A_task_retry_and_then_its_death_are_counted_and_named_on_the_dispatch_span()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var services = await BuildAsync(database);
        using var capture = new TelemetryCapture();
        var store = services.GetRequiredService<ITaskStore>();
        var dispatcher = services.GetRequiredService<TaskDispatcher>();
        // A kind no worker of this version knows: it fails every attempt, as a task from a newer writer would.
        var id = await store.InsertAsync(3, new NewTask("tm-unknown", "telemetry:retry", "{}", MaxAttempts: 2));

        var first = await dispatcher.RunDueAsync();
        await Task.Delay(300);
        var second = await dispatcher.RunDueAsync();

        Assert.Equal((1, 1, 0), (first.Failed, first.Retried, first.Dead));
        Assert.Equal((1, 0, 1), (second.Failed, second.Retried, second.Dead));
        Assert.Equal(1, capture.Count("inventory.tasks.retries", ("kind", "tm-unknown")));
        Assert.Equal(1, capture.Count("inventory.tasks.dead", ("kind", "tm-unknown")));

        var spans = capture.Spans("inventory.engine.dispatch");
        Assert.Equal(2, spans.Count);
        Assert.Equal(1, spans[0].GetTagItem("inventory.tasks.retried"));
        Assert.Equal(1, spans[1].GetTagItem("inventory.tasks.dead"));
        Assert.All(spans, span => Assert.Equal(ActivityStatusCode.Error, span.Status));
        var retry = Assert.Single(spans[0].Events);
        var death = Assert.Single(spans[1].Events);
        Assert.Equal(("inventory.task.retry", id), (retry.Name, (long?)retry.Tags.Single(t => t.Key == "inventory.task.id").Value));
        Assert.Equal(("inventory.task.dead", id), (death.Name, (long?)death.Tags.Single(t => t.Key == "inventory.task.id").Value));
        Assert.Contains("Unknown task kind", (string)death.Tags.Single(t => t.Key == "error.message").Value!, StringComparison.Ordinal);

        // The stats route feeds the backlog gauges, which the exporter then reads without a query of its own.
        await services.GetRequiredService<TaskOperations>().GetStatsAsync();
        var dead = Assert.Single(capture.Points("inventory.tasks.backlog", ("shard", 3), ("status", "dead")));
        Assert.Equal(1, dead.GetGaugeLastValueLong());
        Assert.Equal(0, Assert.Single(capture.Points("inventory.tasks.oldest_pending_age")).GetGaugeLastValueDouble());
    }

    [Fact]
    public async Task A_sweep_recovery_and_the_persistence_lag_of_each_entry_are_recorded()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var services = await BuildAsync(database);
        using var capture = new TelemetryCapture();
        var inventory = services.GetRequiredService<InventoryService>();
        var partition = services.GetRequiredService<Partitioner>().PartitionOf("tl-sku");
        await inventory.SetStockAsync("tl-sku", 5, null);
        await inventory.DeductAsync(new DeductionRequest("tl-order", [new OrderLine("tl-sku", 2)]));

        // No wake-up message was sent (no host runs the publisher): the sweep finds the entries and persists them.
        var report = await services.GetRequiredService<JournalSweeper>().RunAsync();

        Assert.Equal(1, report.Affected);
        Assert.Equal(1, capture.Count("inventory.journal.recovered", ("partition", partition)));
        Assert.Equal(1, capture.Count("inventory.journal.recovered"));
        var lag = Assert.Single(capture.Points("inventory.persistence.lag"));
        Assert.Equal(2, lag.GetHistogramCount());
        Assert.InRange(lag.GetHistogramSum(), 0, 2 * 60_000);
        var sweep = Assert.Single(capture.Spans("inventory.engine.journal_sweep"));
        Assert.Equal(1, sweep.GetTagItem("inventory.tasks.affected"));
        Assert.NotEqual(ActivityStatusCode.Error, sweep.Status);
        Assert.Equal(2, (await database.QueryAsync("select count(*) from ledger", r => r.GetInt64(0))).Single());
    }

    private static async Task<ServiceProvider> BuildAsync(TestDatabase database)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Redis:Configuration"] = TestEnvironment.Redis,
            ["Inventory:Redis:KeyPrefix"] = TestEnvironment.UniquePrefix("n"),
            ["AzureWebJobsStorage"] = TestEnvironment.Storage,
            ["Inventory:Sql:Provider"] = "postgres",
            ["Inventory:Sql:ConnectionString"] = database.ConnectionString,
            ["Inventory:Engine:RetryBaseDelay"] = "00:00:00.050",
            ["Inventory:Engine:RetryMaxDelay"] = "00:00:00.100",
            ["Inventory:Engine:SweepGrace"] = "00:00:00",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddInventory(configuration).BuildServiceProvider();
        await services.GetRequiredService<SqlMigrator>().MigrateAsync();
        await services.GetRequiredService<RedisRecovery>().CheckAsync();
        return services;
    }
}
