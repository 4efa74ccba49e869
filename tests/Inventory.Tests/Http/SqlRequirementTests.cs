using Inventory.Api.Hosting;
using Inventory.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Http;

/// <summary>Running without SQL sells without persisting anything: only ever by an explicit setting, and said loudly.</summary>
public class SqlRequirementTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("postgres", null)]
    [InlineData("none", "Host=127.0.0.1;Port=5433;Username=postgres;Database=x")]
    public void Without_a_connection_string_or_an_explicit_none_the_host_refuses_to_start(string? provider, string? connection)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Inventory:Redis:Configuration"] = TestEnvironment.Redis,
            ["Inventory:Sql:Provider"] = provider,
            ["Inventory:Sql:ConnectionString"] = connection,
        }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddLogging().AddInventory(configuration));
        Assert.Contains("Inventory:Sql:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_plain_server_exits_without_sql_and_warns_at_every_start_with_provider_none()
    {
        await using var refused = new ServerProcess(TestEnvironment.Redis, TestEnvironment.UniquePrefix("nosql"));
        var exited = await Assert.ThrowsAsync<InvalidOperationException>(() => refused.StartAsync(new Dictionary<string, string> { ["Inventory__Sql__Provider"] = "" }));
        Assert.StartsWith("Server exited", exited.Message, StringComparison.Ordinal);
        // The exit can be seen before the redirected output is drained.
        await WaitForAsync(() => refused.Output.Contains("Inventory:Sql:ConnectionString is not set", StringComparison.Ordinal));

        await using var server = new ServerProcess(TestEnvironment.Redis, TestEnvironment.UniquePrefix("nosql"));
        await server.StartAsync();
        // Console logging is asynchronous: the line may follow the first healthy answer by a moment.
        await WaitForAsync(() => server.Output.Contains("Running WITHOUT SQL", StringComparison.Ordinal));
        Assert.Contains("warn: Inventory.Api.Hosting.NoSqlWarning", server.Output, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }
}
