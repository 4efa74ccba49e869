using System.Data.Common;
using Dapper;
using Microsoft.Data.SqlClient;
using Npgsql;

namespace Inventory.Sql;

/// <summary>The configured database: its dialect's statements and pooled connections to it.</summary>
public sealed class SqlDatabase : IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource? _npgsql;

    static SqlDatabase()
    {
        // Columns are snake_case in both dialects; this lets Dapper fill PascalCase properties without aliases.
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    public SqlDatabase(SqlOptions options)
    {
        Options = options.Validate();
        Statements = new SqlStatements(options.Provider);
        if (options.Provider == SqlProvider.Postgres)
        {
            var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
            if (options.PasswordProvider is { } password)
            {
                // Entra tokens live about an hour; refreshing well before keeps new connections authenticated.
                builder.UsePeriodicPasswordProvider((_, ct) => password(ct), TimeSpan.FromMinutes(20), TimeSpan.FromSeconds(10));
            }

            _npgsql = builder.Build();
        }
    }

    public SqlOptions Options { get; }

    public SqlStatements Statements { get; }

    public SqlProvider Provider => Options.Provider;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        DbConnection connection = _npgsql is not null
            ? _npgsql.CreateConnection()
            : new SqlConnection(Options.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public CommandDefinition Command(string sql, object? parameters, DbTransaction? transaction, CancellationToken cancellationToken) =>
        new(sql, parameters, transaction, Options.CommandTimeoutSeconds, cancellationToken: cancellationToken);

    public ValueTask DisposeAsync() => _npgsql?.DisposeAsync() ?? ValueTask.CompletedTask;

    // Containers disposed synchronously refuse services that only implement IAsyncDisposable.
    public void Dispose() => _npgsql?.Dispose();
}
