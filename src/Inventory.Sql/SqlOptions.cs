namespace Inventory.Sql;

public enum SqlProvider
{
    Postgres,
    SqlServer,
}

/// <summary>Bound from <c>Inventory:Sql</c>: <c>Provider</c> (postgres | sqlserver), <c>ConnectionString</c>, <c>TaskShards</c>.</summary>
public sealed class SqlOptions
{
    public const string Section = "Inventory:Sql";

    public SqlProvider Provider { get; set; } = SqlProvider.Postgres;

    public string ConnectionString { get; set; } = "";

    /// <summary>Task tables task_00 … task_{n-1}; may grow (migration creates the new ones), never shrink without draining.</summary>
    public int TaskShards { get; set; } = 16;

    public int CommandTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// PostgreSQL only: a password fetched when connections open and refreshed periodically, such as a Microsoft Entra
    /// access token for Azure Database for PostgreSQL. Set in code, not configuration.
    /// </summary>
    public Func<CancellationToken, ValueTask<string>>? PasswordProvider { get; set; }

    /// <summary>Registers a hosted service that migrates before the host starts serving.</summary>
    public bool MigrateAtStart { get; set; } = true;

    public SqlOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new InvalidOperationException($"{Section}:ConnectionString is required.");
        }

        if (TaskShards is < 1 or > 100)
        {
            throw new InvalidOperationException($"{Section}:TaskShards must be between 1 and 100 (task_00 … task_99), not {TaskShards}.");
        }

        return this;
    }
}
