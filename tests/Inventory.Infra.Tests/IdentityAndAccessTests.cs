using System.Text.Json;
using System.Text.RegularExpressions;

namespace Inventory.Infra.Tests;

public sealed class IdentityAndAccessTests
{
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    public static TheoryData<string> ScenarioNames() => new(Infra.AllScenarios.Select(scenario => scenario.Name));

    private static Snapshot Of(string scenarioName) => Infra.SnapshotOf(Infra.AllScenarios.Single(scenario => scenario.Name == scenarioName));

    private static string Text(JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            element = element.GetProperty(name);
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString()! : element.ToString();
    }

    /// <summary>Role assignments granted to the app identity, as (role definition GUID, assignment id holding its scope).</summary>
    private static List<(string Role, string Id)> IdentityRoles(Snapshot snapshot) =>
        snapshot.OfType("Microsoft.Authorization/roleAssignments")
            .Where(assignment => snapshot.IsIdentityProperty(Text(assignment, "properties", "principalId"), "principalId"))
            .Select(assignment =>
            {
                Assert.Equal("ServicePrincipal", Text(assignment, "properties", "principalType"));
                return (Text(assignment, "properties", "roleDefinitionId").Split('/')[^1], Text(assignment, "id"));
            })
            .ToList();

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void TheAppIdentityHoldsEveryRoleTheCodeNeeds(string scenario)
    {
        var snapshot = Of(scenario);
        var roles = IdentityRoles(snapshot);
        var storage = Text(snapshot.Single("Microsoft.Storage/storageAccounts"), "id");
        var appInsights = Text(snapshot.Single("Microsoft.Insights/components"), "id");

        // Host leases, timer status, deployment package: blob. Triggers, output binding, the app's sends: queue.
        Assert.Contains(roles, role => role.Role == StorageBlobDataOwner && role.Id.Contains($"'{storage}'", StringComparison.Ordinal));
        Assert.Contains(roles, role => role.Role == StorageQueueDataContributor && role.Id.Contains($"'{storage}'", StringComparison.Ordinal));
        // Telemetry with local auth off.
        Assert.Contains(roles, role => role.Role == MonitoringMetricsPublisher && role.Id.Contains($"'{appInsights}'", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void TheAppIdentityHoldsNoBroadRole(string scenario)
    {
        var snapshot = Of(scenario);
        // Owner, Contributor, User Access Administrator, Storage Account Contributor (can read keys).
        string[] broad = ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "17d1049b-9a84-46fb-8f53-869881c3d3ab"];

        Assert.All(IdentityRoles(snapshot), role => Assert.DoesNotContain(role.Role, broad));
    }

    [Fact]
    public void TheAppIdentityIsAManagedRedisUser()
    {
        var snapshot = Infra.SnapshotOf(Infra.Defaults);
        var assignments = snapshot.OfType("Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments");

        var app = Assert.Single(assignments, assignment => snapshot.IsIdentityProperty(Text(assignment, "properties", "user", "objectId"), "principalId"));
        Assert.Equal("default", Text(app, "properties", "accessPolicyName"));
        Assert.StartsWith(Text(snapshot.Single("Microsoft.Cache/redisEnterprise"), "name") + "/default/", Text(app, "name"), StringComparison.Ordinal);
    }

    [Fact]
    public void TheAppIdentityIsACacheRedisUser()
    {
        var snapshot = Infra.SnapshotOf(Infra.PostgresWithCache);
        var assignments = snapshot.OfType("Microsoft.Cache/redis/accessPolicyAssignments");

        var app = Assert.Single(assignments, assignment => snapshot.IsIdentityProperty(Text(assignment, "properties", "objectId"), "principalId"));
        Assert.Equal("Data Contributor", Text(app, "properties", "accessPolicyName"));
    }

    [Fact]
    public void TheAppIdentityAdministersPostgres()
    {
        var snapshot = Infra.SnapshotOf(Infra.PostgresWithCache);
        var administrator = Assert.Single(snapshot.OfType("Microsoft.DBforPostgreSQL/flexibleServers/administrators"));

        Assert.True(snapshot.MentionsIdentityProperty(Text(administrator, "name"), "principalId"));
        Assert.Equal("ServicePrincipal", Text(administrator, "properties", "principalType"));
        // Its PostgreSQL role name, which the connection string signs in as.
        Assert.Equal(snapshot.IdentityName, Text(administrator, "properties", "principalName"));
        Assert.Equal(Infra.TenantId, Text(administrator, "properties", "tenantId"));
    }

    [Fact]
    public void ASignedInDeployerAdministersAzureSql()
    {
        var snapshot = Infra.SnapshotOf(Infra.SqlWithDeployer);
        var administrators = snapshot.Single("Microsoft.Sql/servers").GetProperty("properties").GetProperty("administrators");

        Assert.Equal(Infra.DeployerPrincipalId, Text(administrators, "sid"));
        Assert.Equal(Infra.DeployerLogin, Text(administrators, "login"));
        Assert.Equal("User", Text(administrators, "principalType"));
        // The app's database user then comes from infra/scripts/sql-grant-identity.sql, which the hook runs.
        Assert.Equal("True", snapshot.Output("AZURE_SQL_ADMIN_IS_DEPLOYER"));
    }

    [Fact]
    public void WithoutADeployerTheAppIdentityAdministersAzureSql()
    {
        var snapshot = Infra.SnapshotOf(Infra.Defaults);
        var administrators = snapshot.Single("Microsoft.Sql/servers").GetProperty("properties").GetProperty("administrators");

        // SQL identifies a service principal by its client (application) ID.
        Assert.True(snapshot.IsIdentityProperty(Text(administrators, "sid"), "clientId"));
        Assert.Equal("Application", Text(administrators, "principalType"));
        Assert.Equal("False", snapshot.Output("AZURE_SQL_ADMIN_IS_DEPLOYER"));
    }

    [Fact]
    public void TheDeployerGetsDataAccessOnlyWhenNamed()
    {
        var withDeployer = Infra.SnapshotOf(Infra.SqlWithDeployer);
        var withoutDeployer = Infra.SnapshotOf(Infra.Defaults);

        bool GrantsDeployer(Snapshot snapshot) =>
            snapshot.Resources.Any(resource => resource.ToString().Contains(Infra.DeployerPrincipalId, StringComparison.Ordinal)
                && !string.Equals(Text(resource, "type"), "Microsoft.Sql/servers", StringComparison.OrdinalIgnoreCase));

        Assert.True(GrantsDeployer(withDeployer));
        Assert.Contains(withDeployer.OfType("Microsoft.Authorization/roleAssignments"),
            assignment => Text(assignment, "properties", "principalId") == Infra.DeployerPrincipalId
                && Text(assignment, "properties", "principalType") == "User");
        Assert.False(GrantsDeployer(withoutDeployer));
        Assert.All(withoutDeployer.OfType("Microsoft.Authorization/roleAssignments"),
            assignment => Assert.True(withoutDeployer.IsIdentityProperty(Text(assignment, "properties", "principalId"), "principalId")));
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void TheFunctionAppRunsAsTheUserAssignedIdentity(string scenario)
    {
        var snapshot = Of(scenario);
        var site = snapshot.Site;
        var identity = site.GetProperty("identity");
        var deployment = site.GetProperty("properties").GetProperty("functionAppConfig").GetProperty("deployment").GetProperty("storage");

        Assert.Equal("UserAssigned", Text(identity, "type"));
        Assert.Equal([snapshot.IdentityId], identity.GetProperty("userAssignedIdentities").EnumerateObject().Select(p => p.Name));
        Assert.Equal("UserAssignedIdentity", Text(deployment, "authentication", "type"));
        Assert.Equal(snapshot.IdentityId, Text(deployment, "authentication", "userAssignedIdentityResourceId"));
    }

    [Fact]
    public void EveryGrantIsDeclaredInRbacBicep()
    {
        // Role assignments, Redis access policies and PostgreSQL Entra administrators: one file to review.
        var grant = new Regex(@"'Microsoft\.(Authorization/roleAssignments|Cache/redis(Enterprise/databases)?/accessPolicyAssignments|DBforPostgreSQL/flexibleServers/administrators)@");
        var declaring = Infra.BicepFiles
            .Where(file => grant.Matches(File.ReadAllText(Path.Combine(RepoPaths.Infra, file))).Count > 0)
            .ToList();

        Assert.Equal(["app/rbac.bicep"], declaring);
    }
}
