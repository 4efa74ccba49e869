using Inventory.Persistence;
using Inventory.Sql.Tests.Infrastructure;

namespace Inventory.Sql.Tests;

public class MigrationTests
{
    private const string VersionedScript = "Inventory.Sql.Migrations.{0}.0001_stock_ledger_cursor.sql";

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Migrating_again_runs_only_the_always_script_and_keeps_the_data(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await db.Store.InsertAsync(1, Tasks.New("kept"));

        var scripts = await new SqlMigrator(db.Database).MigrateAsync();

        Assert.Equal([$"Inventory.Sql.Migrations.{SqlStatements.DialectFolder(db.Provider)}.Always.task_shards.sql"], scripts);
        Assert.Equal(1, await db.CountAsync("task_01"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Processes_migrating_at_once_take_turns_and_each_versioned_script_runs_once(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider, migrate: false);
        var databases = Enumerable.Range(0, 4).Select(_ => new SqlDatabase(db.OptionsWith(4))).ToList();
        try
        {
            var runs = await Task.WhenAll(databases.Select(d => Task.Run(() => new SqlMigrator(d).MigrateAsync())));

            var versioned = string.Format(System.Globalization.CultureInfo.InvariantCulture, VersionedScript, SqlStatements.DialectFolder(db.Provider));
            Assert.Equal(1, runs.Count(r => r.Contains(versioned)));
            Assert.Equal(1, await db.ScalarAsync<long>("SELECT COUNT(*) FROM schemaversions WHERE scriptname = @versioned", new { versioned }));
            Assert.NotNull(await db.Store.InsertAsync(3, Tasks.New("works")));
        }
        finally
        {
            foreach (var d in databases)
            {
                await d.DisposeAsync();
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Raising_the_shard_count_adds_task_tables_and_leaves_existing_tasks_alone(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider, shards: 2);
        var id = await db.Store.InsertAsync(1, Tasks.New("old"));
        await Assert.ThrowsAnyAsync<Exception>(() => db.CountAsync("task_05"));

        await using var wider = new SqlDatabase(db.OptionsWith(6));
        await new SqlMigrator(wider).MigrateAsync();
        var store = new SqlTaskStore(wider);

        Assert.Equal(0, await db.CountAsync("task_05"));
        Assert.NotNull(await store.InsertAsync(5, Tasks.New("new")));
        Assert.Equal(TaskStatuses.Pending, (await store.FindAsync(id!.Value))!.Status);
        Assert.Equal(6, store.ShardCount);
    }
}
