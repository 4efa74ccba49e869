using System.Text.Json;

namespace Inventory.Infra.Tests;

/// <summary>Shared keys, access keys, passwords and local auth are off wherever the service lets them be.</summary>
public sealed class LocalAuthTests
{
    public static TheoryData<string> ScenarioNames() => new(Infra.AllScenarios.Select(scenario => scenario.Name));

    private static Snapshot Of(string scenarioName) => Infra.SnapshotOf(Infra.AllScenarios.Single(scenario => scenario.Name == scenarioName));

    private static JsonElement Properties(JsonElement resource) => resource.GetProperty("properties");

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void ApplicationInsightsAcceptsOnlyEntraAuthenticatedTelemetry(string scenario)
    {
        var component = Properties(Of(scenario).Single("Microsoft.Insights/components"));

        Assert.True(component.GetProperty("DisableLocalAuth").GetBoolean());
        Assert.Equal(
            Of(scenario).Single("Microsoft.OperationalInsights/workspaces").GetProperty("id").GetString(),
            component.GetProperty("WorkspaceResourceId").GetString());
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void StorageRefusesSharedKeys(string scenario)
    {
        var account = Properties(Of(scenario).Single("Microsoft.Storage/storageAccounts"));

        Assert.False(account.GetProperty("allowSharedKeyAccess").GetBoolean());
        Assert.False(account.GetProperty("allowBlobPublicAccess").GetBoolean());
        Assert.True(account.GetProperty("defaultToOAuthAuthentication").GetBoolean());
        Assert.Equal("TLS1_2", account.GetProperty("minimumTlsVersion").GetString());
    }

    [Fact]
    public void ManagedRedisRefusesAccessKeysAndIsClusteredWithTls()
    {
        var snapshot = Infra.SnapshotOf(Infra.Defaults);
        var database = Properties(snapshot.Single("Microsoft.Cache/redisEnterprise/databases"));

        Assert.Equal("Disabled", database.GetProperty("accessKeysAuthentication").GetString());
        Assert.Equal("OSSCluster", database.GetProperty("clusteringPolicy").GetString());
        Assert.Equal("Encrypted", database.GetProperty("clientProtocol").GetString());
        Assert.Equal(10000, database.GetProperty("port").GetInt32());
        Assert.Equal("NoEviction", database.GetProperty("evictionPolicy").GetString());
        Assert.Equal("1.2", Properties(snapshot.Single("Microsoft.Cache/redisEnterprise")).GetProperty("minimumTlsVersion").GetString());
        Assert.Empty(snapshot.OfType("Microsoft.Cache/redis"));
    }

    [Fact]
    public void CacheRedisRefusesAccessKeysAndPlainText()
    {
        var snapshot = Infra.SnapshotOf(Infra.PostgresWithCache);
        var cache = Properties(snapshot.Single("Microsoft.Cache/redis"));

        Assert.True(cache.GetProperty("disableAccessKeyAuthentication").GetBoolean());
        Assert.Equal("true", cache.GetProperty("redisConfiguration").GetProperty("aad-enabled").GetString());
        Assert.Equal("noeviction", cache.GetProperty("redisConfiguration").GetProperty("maxmemory-policy").GetString());
        Assert.False(cache.GetProperty("enableNonSslPort").GetBoolean());
        Assert.Empty(snapshot.OfType("Microsoft.Cache/redisEnterprise"));
    }

    [Fact]
    public void AzureSqlIsEntraOnly()
    {
        var snapshot = Infra.SnapshotOf(Infra.Defaults);
        var server = Properties(snapshot.Single("Microsoft.Sql/servers"));

        Assert.True(server.GetProperty("administrators").GetProperty("azureADOnlyAuthentication").GetBoolean());
        Assert.Equal("ActiveDirectory", server.GetProperty("administrators").GetProperty("administratorType").GetString());
        Assert.False(server.TryGetProperty("administratorLoginPassword", out _));
        Assert.Empty(snapshot.OfType("Microsoft.DBforPostgreSQL/flexibleServers"));
    }

    [Fact]
    public void PostgresIsEntraOnly()
    {
        var snapshot = Infra.SnapshotOf(Infra.PostgresWithCache);
        var server = Properties(snapshot.Single("Microsoft.DBforPostgreSQL/flexibleServers"));

        Assert.Equal("Enabled", server.GetProperty("authConfig").GetProperty("activeDirectoryAuth").GetString());
        Assert.Equal("Disabled", server.GetProperty("authConfig").GetProperty("passwordAuth").GetString());
        Assert.False(server.TryGetProperty("administratorLoginPassword", out _));
        Assert.Empty(snapshot.OfType("Microsoft.Sql/servers"));
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void PublishingWithUserNameAndPasswordIsOff(string scenario)
    {
        var policy = Assert.Single(Of(scenario).OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies"));

        Assert.EndsWith("/scm", policy.GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.False(Properties(policy).GetProperty("allow").GetBoolean());
    }
}
