using Dapper;
using DbUp;
using DbUp.Builder;
using DbUp.Engine;
using DbUp.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Inventory.Sql;

/// <summary>
/// Brings the schema up to date with DbUp: versioned scripts once each (journaled in schemaversions), then the
/// always-run script that creates missing task shards. DbUp does not serialise concurrent upgrades, so the whole
/// upgrade runs under a database lock (pg_advisory_lock / sp_getapplock) held by a session of its own: a second
/// process waits, then finds nothing left to do.
/// </summary>
public sealed class SqlMigrator(SqlDatabase database, ILogger<SqlMigrator>? logger = null)
{
    /// <returns>The names of the scripts that ran, always-run scripts included.</returns>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var lockSession = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await lockSession.ExecuteAsync(new CommandDefinition(
            database.Statements.Get(Statements.MigrationLock), commandTimeout: 600, cancellationToken: cancellationToken)).ConfigureAwait(false);
        try
        {
            var result = BuildUpgrader().PerformUpgrade();
            if (!result.Successful)
            {
                throw new InvalidOperationException(
                    $"Migration failed in script '{result.ErrorScript?.Name}': {result.Error?.Message}", result.Error);
            }

            return result.Scripts.Select(s => s.Name).ToList();
        }
        finally
        {
            await lockSession.ExecuteAsync(new CommandDefinition(
                database.Statements.Get(Statements.MigrationUnlock), cancellationToken: CancellationToken.None)).ConfigureAwait(false);
        }
    }

    private UpgradeEngine BuildUpgrader()
    {
        var options = database.Options;
        var dialect = SqlStatements.DialectFolder(options.Provider);
        var versioned = $"Inventory.Sql.Migrations.{dialect}.";
        var always = $"Inventory.Sql.Migrations.{dialect}.Always.";
        var assembly = typeof(SqlMigrator).Assembly;

        UpgradeEngineBuilder builder = options.Provider == SqlProvider.Postgres
            ? DeployChanges.To.PostgresqlDatabase(options.ConnectionString)
            : DeployChanges.To.SqlDatabase(options.ConnectionString);

        return builder
            .WithScriptsEmbeddedInAssembly(
                assembly,
                name => name.StartsWith(versioned, StringComparison.Ordinal) && !name.StartsWith(always, StringComparison.Ordinal),
                new SqlScriptOptions { ScriptType = ScriptType.RunOnce, RunGroupOrder = 1 })
            .WithScriptsEmbeddedInAssembly(
                assembly,
                name => name.StartsWith(always, StringComparison.Ordinal),
                new SqlScriptOptions { ScriptType = ScriptType.RunAlways, RunGroupOrder = 2 })
            .WithVariable("TaskShards", options.TaskShards.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithTransactionPerScript()
            .LogTo((ILogger?)logger ?? NullLogger.Instance)
            .Build();
    }
}
