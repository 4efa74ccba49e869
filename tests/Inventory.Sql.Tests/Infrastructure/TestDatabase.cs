using Dapper;
using Inventory.Persistence;
using Microsoft.Data.SqlClient;
using Npgsql;

namespace Inventory.Sql.Tests.Infrastructure;

/// <summary>
/// A migrated database of its own for one test: a fresh schema on PostgreSQL (INVENTORY_TEST_POSTGRES), a fresh
/// database on SQL Server (INVENTORY_SQLSERVER), dropped on dispose, so tests run repeatedly and beside others.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "INVENTORY_TEST_POSTGRES";
    public const string SqlServerVariable = "INVENTORY_SQLSERVER";
    private const string DefaultPostgres = "Host=127.0.0.1;Port=5433;Username=postgres;Database=inventory_test";

    private readonly string _name;

    private TestDatabase(SqlProvider provider, string name, SqlOptions options)
    {
        Provider = provider;
        _name = name;
        Options = options;
        Database = new SqlDatabase(options);
        Store = new SqlTaskStore(Database);
        Ledger = new SqlLedgerReader(Database);
    }

    public SqlProvider Provider { get; }
    public SqlOptions Options { get; }
    public SqlDatabase Database { get; }
    public SqlTaskStore Store { get; }
    public SqlLedgerReader Ledger { get; }

    /// <summary>PostgreSQL always; SQL Server only when a connection string is given, so its cases exist only then.</summary>
    public static TheoryData<string> Providers
    {
        get
        {
            var data = new TheoryData<string> { "postgres" };
            if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(SqlServerVariable)))
            {
                data.Add("sqlserver");
            }

            return data;
        }
    }

    public static SqlProvider Parse(string provider) => provider == "sqlserver" ? SqlProvider.SqlServer : SqlProvider.Postgres;

    public static async Task<TestDatabase> CreateAsync(string provider, int shards = 4, bool migrate = true)
    {
        var db = await CreateEmptyAsync(Parse(provider), shards).ConfigureAwait(false);
        if (migrate)
        {
            await new SqlMigrator(db.Database).MigrateAsync().ConfigureAwait(false);
        }

        return db;
    }

    /// <summary>Another view of the same database, e.g. a second process with other settings.</summary>
    public SqlOptions OptionsWith(int shards) => new()
    {
        Provider = Options.Provider,
        ConnectionString = Options.ConnectionString,
        TaskShards = shards,
    };

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenAsync().ConfigureAwait(false);
        return (await connection.ExecuteScalarAsync<T>(sql, parameters).ConfigureAwait(false))!;
    }

    public async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenAsync().ConfigureAwait(false);
        return await connection.ExecuteAsync(sql, parameters).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenAsync().ConfigureAwait(false);
        return (await connection.QueryAsync<T>(sql, parameters).ConfigureAwait(false)).ToList();
    }

    public Task<long> CountAsync(string table, string where = "1 = 1") => ScalarAsync<long>($"SELECT COUNT(*) FROM {table} WHERE {where}");

    /// <summary>Every task of every shard.</summary>
    public async Task<IReadOnlyList<TaskRecord>> AllTasksAsync()
    {
        var all = new List<TaskRecord>();
        for (var shard = 0; shard < Options.TaskShards; shard++)
        {
            var rows = await QueryAsync<TaskRecord>(
                $"SELECT id, kind, status, attempts, max_attempts, next_run_at, lease_owner, lease_expires_at, parent_id, parent_shard, " +
                $"pending_children, dedupe_key, payload, last_error, created_at, modified_at FROM {SqlStatements.TaskTable(shard)}").ConfigureAwait(false);
            all.AddRange(rows.Select(r => r with { Shard = shard }));
        }

        return all;
    }

    /// <summary>Makes leases look expired, as if their holder had died a while ago.</summary>
    public Task<int> ExpireLeasesAsync(int shard, long? id = null)
    {
        var table = SqlStatements.TaskTable(shard);
        var past = Provider == SqlProvider.Postgres ? "now() - interval '1 second'" : "DATEADD(second, -1, SYSUTCDATETIME())";
        var which = id is null ? "" : " AND id = @id";
        return ExecuteAsync($"UPDATE {table} SET lease_expires_at = {past} WHERE status = 'running'{which}", new { id });
    }

    /// <summary>Ages done tasks so pruning sees them as past retention.</summary>
    public Task<int> AgeDoneTasksAsync(int shard, int seconds)
    {
        var table = SqlStatements.TaskTable(shard);
        var past = Provider == SqlProvider.Postgres
            ? $"now() - make_interval(secs => {seconds})"
            : $"DATEADD(second, -{seconds}, SYSUTCDATETIME())";
        return ExecuteAsync($"UPDATE {table} SET modified_at = {past} WHERE status = 'done'");
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync().ConfigureAwait(false);
        if (Provider == SqlProvider.Postgres)
        {
            await using var admin = new NpgsqlConnection(PostgresAdmin());
            await admin.OpenAsync().ConfigureAwait(false);
            await admin.ExecuteAsync($"DROP SCHEMA IF EXISTS {_name} CASCADE").ConfigureAwait(false);
        }
        else
        {
            SqlConnection.ClearAllPools();
            await using var admin = new SqlConnection(SqlServerAdmin());
            await admin.OpenAsync().ConfigureAwait(false);
            await admin.ExecuteAsync($"ALTER DATABASE [{_name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{_name}];").ConfigureAwait(false);
        }
    }

    private static async Task<TestDatabase> CreateEmptyAsync(SqlProvider provider, int shards)
    {
        var name = "inv_t_" + Guid.NewGuid().ToString("N")[..12];
        if (provider == SqlProvider.Postgres)
        {
            var admin = PostgresAdmin();
            await using (var connection = new NpgsqlConnection(admin))
            {
                await connection.OpenAsync().ConfigureAwait(false);
                await connection.ExecuteAsync($"CREATE SCHEMA {name}").ConfigureAwait(false);
            }

            var builder = new NpgsqlConnectionStringBuilder(admin) { SearchPath = name, MaxPoolSize = 24 };
            return new TestDatabase(provider, name, new SqlOptions { Provider = provider, ConnectionString = builder.ConnectionString, TaskShards = shards });
        }

        var server = SqlServerAdmin();
        await using (var connection = new SqlConnection(server))
        {
            await connection.OpenAsync().ConfigureAwait(false);
            await connection.ExecuteAsync($"CREATE DATABASE [{name}]").ConfigureAwait(false);
        }

        var sqlBuilder = new SqlConnectionStringBuilder(server) { InitialCatalog = name, MaxPoolSize = 24 };
        return new TestDatabase(provider, name, new SqlOptions { Provider = provider, ConnectionString = sqlBuilder.ConnectionString, TaskShards = shards });
    }

    private static string PostgresAdmin() =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value ? value : DefaultPostgres;

    private static string SqlServerAdmin() => Environment.GetEnvironmentVariable(SqlServerVariable)!;
}
