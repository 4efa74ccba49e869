using Inventory.Api.Hosting;
using Inventory.Sql;
using Inventory.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Inventory.Tests.Engine;

public class SqlEntraTests
{
    [Theory]
    [InlineData("postgres", "Host=db;Username=inventory-id", "client-id", true)]
    [InlineData("postgres", "Host=db;Username=inventory-id;Password=secret", "client-id", false)]
    [InlineData("postgres", "Host=db;Username=inventory-id", null, false)]
    [InlineData("sqlserver", "Server=db;Authentication=Active Directory Default", "client-id", false)]
    public void An_entra_token_is_the_postgres_password_only_for_an_identity_without_a_password(string provider, string connectionString, string? clientId, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AZURE_CLIENT_ID"] = clientId }).Build();
        var sql = new SqlOptions { Provider = provider == "postgres" ? SqlProvider.Postgres : SqlProvider.SqlServer, ConnectionString = connectionString };

        Assert.Equal(expected, EntraSqlPassword.For(configuration, sql) is not null);
    }

    [Fact]
    public async Task Connections_take_their_password_from_the_provider()
    {
        var calls = 0;
        var sql = new SqlOptions
        {
            ConnectionString = TestEnvironment.Postgres,
            PasswordProvider = _ =>
            {
                Interlocked.Increment(ref calls);
                return ValueTask.FromResult("ignored-by-trust-auth");
            },
        };
        await using var database = new SqlDatabase(sql);

        await using var connection = await database.OpenAsync();

        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
        Assert.True(calls >= 1);
    }
}
