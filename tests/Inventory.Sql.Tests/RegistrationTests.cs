using Inventory.Engine;
using Inventory.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Inventory.Sql.Tests;

public class RegistrationTests
{
    [Fact]
    public void AddInventorySql_binds_both_sections_and_resolves_every_handler()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Sql:Provider"] = "sqlserver",
            ["Inventory:Sql:ConnectionString"] = "Server=127.0.0.1;Database=x;User Id=sa;Password=p;TrustServerCertificate=true",
            ["Inventory:Sql:TaskShards"] = "8",
            ["Inventory:Engine:Lease"] = "00:00:20",
            ["Inventory:Engine:MaxAttempts"] = "4",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IJournal>(new InMemoryJournal(4));

        services.AddInventorySql(configuration);
        using var provider = services.BuildServiceProvider();

        Assert.Equal((SqlProvider.SqlServer, 8), (provider.GetRequiredService<SqlOptions>().Provider, provider.GetRequiredService<ITaskStore>().ShardCount));
        Assert.Equal((TimeSpan.FromSeconds(20), 4), (provider.GetRequiredService<TaskEngineOptions>().Lease, provider.GetRequiredService<TaskEngineOptions>().MaxAttempts));
        Assert.NotNull(provider.GetRequiredService<WakeupHandler>());
        Assert.NotNull(provider.GetRequiredService<TaskDispatcher>());
        Assert.NotNull(provider.GetRequiredService<StaleLeaseSweeper>());
        Assert.NotNull(provider.GetRequiredService<JournalSweeper>());
        Assert.NotNull(provider.GetRequiredService<TaskPruner>());
        Assert.NotNull(provider.GetRequiredService<TaskOperations>());
        Assert.NotNull(provider.GetRequiredService<ILedgerReader>());
        Assert.Single(provider.GetServices<IHostedService>());
    }

    [Fact]
    public void A_missing_connection_string_fails_at_registration_naming_the_setting()
    {
        var configuration = new ConfigurationBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddInventorySql(configuration));

        Assert.Contains("Inventory:Sql:ConnectionString", error.Message, StringComparison.Ordinal);
    }
}
