using Azure.Core;
using Inventory.Sql;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Inventory.Api.Hosting;

/// <summary>
/// Azure Database for PostgreSQL with Microsoft Entra authentication: the app's managed identity signs in with an
/// access token as its password. Used when the PostgreSQL connection string names a user but no password and the
/// app has an identity (AZURE_CLIENT_ID), as the Bicep deploys it. SQL Server needs nothing here: SqlClient 6.1's
/// "Authentication=Active Directory Default" in the connection string does the same.
/// </summary>
public static class EntraSqlPassword
{
    private static readonly TokenRequestContext Context = new(["https://ossrdbms-aad.database.windows.net/.default"]);

    public static Func<CancellationToken, ValueTask<string>>? For(IConfiguration configuration, SqlOptions sql)
    {
        var clientId = configuration["AZURE_CLIENT_ID"];
        if (sql.Provider != SqlProvider.Postgres || string.IsNullOrEmpty(clientId)
            || !string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(sql.ConnectionString).Password))
        {
            return null;
        }

        var credential = new Azure.Identity.DefaultAzureCredential(new Azure.Identity.DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
        return async ct => (await credential.GetTokenAsync(Context, ct).ConfigureAwait(false)).Token;
    }
}
