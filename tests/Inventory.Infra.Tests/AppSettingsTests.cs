using System.Text.RegularExpressions;

namespace Inventory.Infra.Tests;

public sealed class AppSettingsTests
{
    public static TheoryData<string> ScenarioNames() => new(Infra.AllScenarios.Select(scenario => scenario.Name));

    private static Snapshot Of(string scenarioName) => Infra.SnapshotOf(Infra.AllScenarios.Single(scenario => scenario.Name == scenarioName));

    [Fact]
    public void TheContractItselfIsConsistent()
    {
        var sample = AppSettingContract.SampleNames();

        // Local-only names must really be in the sample, Azure-only names must really not be.
        Assert.All(AppSettingContract.LocalOnly.Keys, name => Assert.Contains(name, sample));
        Assert.All(AppSettingContract.AzureOnly.Keys, name => Assert.DoesNotContain(name, sample));
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void AppSettingNamesAreTheSampleLessLocalOnlyPlusAzureOnly(string scenario)
    {
        var names = Of(scenario).AppSettings.Select(setting => setting.Key).ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        var expected = AppSettingContract.ExpectedInAzure();
        var missing = expected.Except(names).Order().ToList();
        var unexpected = names.Except(expected).Order().ToList();
        Assert.True(
            missing.Count == 0 && unexpected.Count == 0,
            $"Bicep app settings differ from local.settings.sample.json (see AppSettingContract). " +
            $"Missing in Bicep: [{string.Join(", ", missing)}]. Not in the sample: [{string.Join(", ", unexpected)}].");
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void NoForbiddenSettingIsSet(string scenario)
    {
        var names = Of(scenario).AppSettings.Select(setting => setting.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.All(AppSettingContract.Forbidden, name => Assert.DoesNotContain(name, names));
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void NoAppSettingCarriesASecret(string scenario)
    {
        var secretShapes = new Regex(
            @"\blist[A-Za-z]*\(|AccountKey=|SharedAccessSignature|\bsig=|Password\s*=|\bPwd\s*=|InstrumentationKey=|primaryKey|secondaryKey|accessKeys",
            RegexOptions.IgnoreCase);

        Assert.All(Of(scenario).AppSettings, setting =>
            Assert.False(secretShapes.IsMatch(setting.Value), $"{setting.Key} looks like it carries a secret: {setting.Value}"));
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void HostStorageIsReachedByTheIdentity(string scenario)
    {
        var snapshot = Of(scenario);
        var storage = snapshot.Single("Microsoft.Storage/storageAccounts");

        Assert.Equal(storage.GetProperty("name").GetString(), snapshot.AppSetting("AzureWebJobsStorage__accountName"));
        Assert.Equal("managedidentity", snapshot.AppSetting("AzureWebJobsStorage__credential"));
        Assert.True(snapshot.IsIdentityProperty(snapshot.AppSetting("AzureWebJobsStorage__clientId"), "clientId"));
        Assert.True(snapshot.IsIdentityProperty(snapshot.AppSetting("AZURE_CLIENT_ID"), "clientId"));
    }

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void TelemetryIsSentWithTheIdentity(string scenario)
    {
        var snapshot = Of(scenario);
        var authentication = snapshot.AppSetting("APPLICATIONINSIGHTS_AUTHENTICATION_STRING");
        var connection = snapshot.AppSetting("APPLICATIONINSIGHTS_CONNECTION_STRING");

        Assert.StartsWith("[format('ClientId={0};Authorization=AAD', ", authentication, StringComparison.Ordinal);
        Assert.True(snapshot.MentionsIdentityProperty(authentication, "clientId"));
        var component = snapshot.Single("Microsoft.Insights/components").GetProperty("id").GetString();
        Assert.Equal($"[reference('{component}', '2020-02-02').ConnectionString]", connection);
    }

    [Fact]
    public void ManagedRedisIsReachedOverTlsOnPort10000WithEntra()
    {
        var snapshot = Infra.SnapshotOf(Infra.Defaults);
        var cluster = snapshot.Single("Microsoft.Cache/redisEnterprise").GetProperty("id").GetString();
        var configuration = snapshot.AppSetting("Inventory__Redis__Configuration");

        Assert.Equal(
            $"[format('{{0}}:{{1}},ssl=true,abortConnect=false', reference('{cluster}', '2025-07-01').hostName, 10000)]",
            configuration);
        Assert.Equal("true", snapshot.AppSetting("Inventory__Redis__UseEntraId"));
    }

    [Fact]
    public void CacheRedisIsReachedOverItsTlsPortWithEntra()
    {
        var snapshot = Infra.SnapshotOf(Infra.PostgresWithCache);
        var cache = snapshot.Single("Microsoft.Cache/redis").GetProperty("id").GetString();
        var configuration = snapshot.AppSetting("Inventory__Redis__Configuration");

        Assert.Equal(
            $"[format('{{0}}:{{1}},ssl=true,abortConnect=false', reference('{cache}', '2024-11-01').hostName, reference('{cache}', '2024-11-01').sslPort)]",
            configuration);
        Assert.Equal("true", snapshot.AppSetting("Inventory__Redis__UseEntraId"));
    }

    [Fact]
    public void AzureSqlConnectionSignsInAsTheIdentity()
    {
        var snapshot = Infra.SnapshotOf(Infra.Defaults);
        var server = snapshot.Single("Microsoft.Sql/servers").GetProperty("id").GetString();
        var connection = snapshot.AppSetting("Inventory__Sql__ConnectionString");

        Assert.Equal("sqlserver", snapshot.AppSetting("Inventory__Sql__Provider"));
        Assert.StartsWith(
            "[format('Server=tcp:{0},1433;Database={1};Authentication=Active Directory Default;User Id={2};Encrypt=True;Connect Timeout=30', " +
            $"reference('{server}', '2023-08-01').fullyQualifiedDomainName, 'inventory', reference('{snapshot.IdentityId}', ",
            connection,
            StringComparison.Ordinal);
        Assert.EndsWith(").clientId)]", connection, StringComparison.Ordinal);
    }

    [Fact]
    public void PostgresConnectionSignsInAsTheIdentityRole()
    {
        var snapshot = Infra.SnapshotOf(Infra.PostgresWithCache);
        var server = snapshot.Single("Microsoft.DBforPostgreSQL/flexibleServers").GetProperty("id").GetString();

        Assert.Equal("postgres", snapshot.AppSetting("Inventory__Sql__Provider"));
        Assert.Equal(
            $"[format('Host={{0}};Port=5432;Database={{1}};Username={{2}};Ssl Mode=Require', reference('{server}', '2024-08-01').fullyQualifiedDomainName, 'inventory', '{snapshot.IdentityName}')]",
            snapshot.AppSetting("Inventory__Sql__ConnectionString"));
    }

    [Fact]
    public void SizingParametersReachTheSettings()
    {
        Assert.Equal("16", Infra.SnapshotOf(Infra.Defaults).AppSetting("Inventory__Sql__TaskShards"));
        Assert.Equal("12", Infra.SnapshotOf(Infra.SqlWithDeployer).AppSetting("Inventory__Sql__TaskShards"));
        Assert.Equal("8", Infra.SnapshotOf(Infra.PostgresWithCache).AppSetting("Inventory__Sql__TaskShards"));
        Assert.Equal("16", Infra.SnapshotOf(Infra.Defaults).AppSetting("Inventory__Redis__Partitions"));
        Assert.Equal("32", Infra.SnapshotOf(Infra.SqlWithDeployer).AppSetting("Inventory__Redis__Partitions"));
    }

    [Fact]
    public void DefaultValuesMatchTheSampleExceptWhereAzureDiffers()
    {
        var snapshot = Infra.SnapshotOf(Infra.Defaults);
        // Values that differ in Azure: where things are, and how the app signs in.
        var azureSpecific = new HashSet<string>(StringComparer.Ordinal)
        {
            "Inventory__Redis__Configuration",
            "Inventory__Sql__Provider",
            "Inventory__Sql__ConnectionString",
        };

        foreach (var name in AppSettingContract.SampleNames().Except(AppSettingContract.LocalOnly.Keys).Except(azureSpecific))
        {
            Assert.True(
                AppSettingContract.SampleValue(name) == snapshot.AppSetting(name),
                $"{name}: the sample says '{AppSettingContract.SampleValue(name)}', Azure gets '{snapshot.AppSetting(name)}'.");
        }
    }

    [Fact]
    public void EverySettingATriggerAttributeNamesIsSet()
    {
        // %Name% in trigger attributes (timer schedules, queue names) resolves from app settings at host start; a
        // missing one stops the host. Scan the code that other people write, so a new timer cannot ship unset.
        var sourceRoot = RepoPaths.Combine("src");
        var referenced = Directory.Exists(sourceRoot)
            ? Directory.EnumerateFiles(sourceRoot, "*.cs", SearchOption.AllDirectories)
                .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .SelectMany(path => Regex.Matches(File.ReadAllText(path), "\"%([A-Za-z0-9_]+)%\"").Select(match => match.Groups[1].Value))
                .ToHashSet(StringComparer.Ordinal)
            : [];
        var set = Infra.SnapshotOf(Infra.Defaults).AppSettings.Select(setting => setting.Key).ToHashSet(StringComparer.Ordinal);
        var sample = AppSettingContract.SampleNames();

        Assert.All(referenced, name =>
        {
            Assert.True(set.Contains(name), $"The code binds %{name}% but Bicep does not set it.");
            Assert.True(sample.Contains(name), $"The code binds %{name}% but local.settings.sample.json does not list it.");
        });
        // The schedules the sample lists are what the timers bind; Bicep sets every one of them (also when the
        // timers are not written yet).
        Assert.All(sample.Where(name => name.EndsWith("Schedule", StringComparison.Ordinal)), name => Assert.Contains(name, set));
    }
}
