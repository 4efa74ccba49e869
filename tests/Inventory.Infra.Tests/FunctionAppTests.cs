using System.Text.Json;

namespace Inventory.Infra.Tests;

public sealed class FunctionAppTests
{
    public static TheoryData<string> ScenarioNames() => new(Infra.AllScenarios.Select(scenario => scenario.Name));

    private static Snapshot Of(string scenarioName) => Infra.SnapshotOf(Infra.AllScenarios.Single(scenario => scenario.Name == scenarioName));

    private static JsonElement FunctionAppConfig(Snapshot snapshot) => snapshot.Site.GetProperty("properties").GetProperty("functionAppConfig");

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void TheAppIsDotnetIsolated10OnFlexConsumption(string scenario)
    {
        var snapshot = Of(scenario);
        var plan = snapshot.Single("Microsoft.Web/serverfarms");
        var runtime = FunctionAppConfig(snapshot).GetProperty("runtime");

        Assert.Equal("FC1", plan.GetProperty("sku").GetProperty("name").GetString());
        Assert.Equal("FlexConsumption", plan.GetProperty("sku").GetProperty("tier").GetString());
        Assert.True(plan.GetProperty("properties").GetProperty("reserved").GetBoolean());
        Assert.Equal(plan.GetProperty("id").GetString(), snapshot.Site.GetProperty("properties").GetProperty("serverFarmId").GetString());
        Assert.Equal("functionapp,linux", snapshot.Site.GetProperty("kind").GetString());
        Assert.Equal("dotnet-isolated", runtime.GetProperty("name").GetString());
        Assert.Equal("10.0", runtime.GetProperty("version").GetString());
        Assert.True(snapshot.Site.GetProperty("properties").GetProperty("httpsOnly").GetBoolean());
    }

    [Fact]
    public void SizeParametersReachTheScaleSettings()
    {
        var defaults = FunctionAppConfig(Infra.SnapshotOf(Infra.Defaults)).GetProperty("scaleAndConcurrency");
        var sized = FunctionAppConfig(Infra.SnapshotOf(Infra.SqlWithDeployer)).GetProperty("scaleAndConcurrency");

        Assert.Equal(2048, defaults.GetProperty("instanceMemoryMB").GetInt32());
        Assert.Equal(100, defaults.GetProperty("maximumInstanceCount").GetInt32());
        Assert.Equal(4096, sized.GetProperty("instanceMemoryMB").GetInt32());
        Assert.Equal(40, sized.GetProperty("maximumInstanceCount").GetInt32());
        var alwaysReady = Assert.Single(defaults.GetProperty("alwaysReady").EnumerateArray());
        Assert.Equal("http", alwaysReady.GetProperty("name").GetString());
        Assert.Equal(
            "Balanced_B5",
            Infra.SnapshotOf(Infra.SqlWithDeployer).Single("Microsoft.Cache/redisEnterprise").GetProperty("sku").GetProperty("name").GetString());
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void StorageHoldsTheQueuesAndTheDeploymentContainer(string scenario)
    {
        var snapshot = Of(scenario);
        var account = snapshot.Single("Microsoft.Storage/storageAccounts").GetProperty("name").GetString();
        var queues = snapshot.OfType("Microsoft.Storage/storageAccounts/queueServices/queues")
            .Select(queue => queue.GetProperty("name").GetString()!.Split('/')[^1])
            .Order(StringComparer.Ordinal);
        var container = Assert.Single(snapshot.OfType("Microsoft.Storage/storageAccounts/blobServices/containers"));
        var containerName = container.GetProperty("name").GetString()!.Split('/')[^1];
        var deploymentTarget = FunctionAppConfig(snapshot).GetProperty("deployment").GetProperty("storage").GetProperty("value").GetString();

        Assert.Equal(["inventory-events", "inventory-tasks", "inventory-tasks-poison"], queues);
        Assert.Equal("None", container.GetProperty("properties").GetProperty("publicAccess").GetString());
        Assert.Contains($"storageAccounts/{account}'", deploymentTarget, StringComparison.Ordinal);
        Assert.EndsWith($"'{containerName}')]", deploymentTarget, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void OutputsTheApiUrl(string scenario)
    {
        var snapshot = Of(scenario);

        Assert.Equal(
            $"[format('https://{{0}}/api', reference('{snapshot.Site.GetProperty("id").GetString()}', '2024-11-01').defaultHostName)]",
            snapshot.Output("AZURE_FUNCTION_APP_URL"));
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void TheSiteIsTaggedForTheAzdService(string scenario)
    {
        var tags = Of(scenario).Site.GetProperty("tags");

        Assert.Equal(RepoFilesTests.AzdServiceName(), tags.GetProperty("azd-service-name").GetString());
        Assert.Equal("inventory-test", tags.GetProperty("azd-env-name").GetString());
    }
}
