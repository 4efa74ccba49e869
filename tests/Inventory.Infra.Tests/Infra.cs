using System.Text;
using System.Text.Json;

namespace Inventory.Infra.Tests;

/// <summary>A deployment of infra/main.bicep with these parameters (bicep literals) besides environmentName and location.</summary>
public sealed record Scenario(string Name, IReadOnlyDictionary<string, string> Parameters);

/// <summary>
/// Runs the bicep CLI once per test run and shares the results: lint and build of every .bicep file under infra/,
/// and snapshots of main.bicep for a few parameter sets.
/// </summary>
public static class Infra
{
    public const string SubscriptionId = "00000000-0000-0000-0000-00000000a001";
    public const string TenantId = "00000000-0000-0000-0000-00000000a0aa";
    public const string DeployerPrincipalId = "11111111-2222-3333-4444-555555555555";
    public const string DeployerLogin = "operator@contoso.example";
    public const string AlertEmail = "inventory-ops@contoso.example";

    /// <summary>Defaults only: Azure SQL, Azure Managed Redis, no deployer principal.</summary>
    public static readonly Scenario Defaults = new("defaults", new Dictionary<string, string>());

    /// <summary>A signed-in user deploys with Azure SQL and Azure Managed Redis; sizes changed from the defaults.</summary>
    public static readonly Scenario SqlWithDeployer = new("sql-with-deployer", new Dictionary<string, string>
    {
        ["principalId"] = $"'{DeployerPrincipalId}'",
        ["principalLogin"] = $"'{DeployerLogin}'",
        ["taskShardCount"] = "12",
        ["redisPartitions"] = "32",
        ["redisManagedSku"] = "'Balanced_B5'",
        ["functionMaximumInstanceCount"] = "40",
        ["functionInstanceMemoryMB"] = "4096",
        ["oldestPendingTaskAgeThresholdSeconds"] = "300",
    });

    /// <summary>PostgreSQL and the retiring Azure Cache for Redis, alerts by e-mail, no deployer principal.</summary>
    public static readonly Scenario PostgresWithCache = new("postgres-with-cache", new Dictionary<string, string>
    {
        ["databaseProvider"] = "'postgres'",
        ["redisFlavor"] = "'cache'",
        ["alertEmail"] = $"'{AlertEmail}'",
        ["taskShardCount"] = "8",
    });

    public static IReadOnlyList<Scenario> AllScenarios { get; } = [Defaults, SqlWithDeployer, PostgresWithCache];

    private static readonly string WorkDirectory = CreateWorkDirectory();
    private static readonly Lazy<ProcessResult> LazyLint = new(Lint);
    private static readonly Lazy<BuildOutput> LazyBuild = new(Build);
    private static readonly Dictionary<string, Lazy<Snapshot>> Snapshots =
        AllScenarios.ToDictionary(scenario => scenario.Name, scenario => new Lazy<Snapshot>(() => TakeSnapshot(scenario)));

    /// <summary>Every .bicep file under infra/, relative to infra/ with forward slashes.</summary>
    public static IReadOnlyList<string> BicepFiles { get; } =
        Directory.EnumerateFiles(RepoPaths.Infra, "*.bicep", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RepoPaths.Infra, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static ProcessResult LintResult => LazyLint.Value;

    public static BuildOutput BuildResult => LazyBuild.Value;

    public static Snapshot SnapshotOf(Scenario scenario) => Snapshots[scenario.Name].Value;

    public static IEnumerable<Snapshot> AllSnapshots => AllScenarios.Select(SnapshotOf);

    private static ProcessResult Lint() => BicepCli.Run(RepoPaths.Root, "lint", "--pattern", "infra/**/*.bicep");

    private static BuildOutput Build()
    {
        var outDirectory = Path.Combine(WorkDirectory, "build");
        var result = BicepCli.Run(RepoPaths.Root, "build", "--pattern", "infra/**/*.bicep", "--outdir", outDirectory);
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in BicepFiles)
        {
            var json = Path.Combine(outDirectory, Path.ChangeExtension(file, ".json"));
            if (File.Exists(json))
            {
                templates[file] = File.ReadAllText(json);
            }
        }

        return new BuildOutput(result, templates);
    }

    private static Snapshot TakeSnapshot(Scenario scenario)
    {
        var directory = Path.Combine(WorkDirectory, "snapshots");
        Directory.CreateDirectory(directory);
        var main = Path.GetRelativePath(directory, Path.Combine(RepoPaths.Infra, "main.bicep")).Replace('\\', '/');
        var parameters = new StringBuilder()
            .AppendLine($"using '{main}'")
            .AppendLine("param environmentName = 'inventory-test'")
            .AppendLine("param location = 'westeurope'");
        foreach (var (name, value) in scenario.Parameters)
        {
            parameters.AppendLine($"param {name} = {value}");
        }

        var parametersFile = Path.Combine(directory, $"{scenario.Name}.bicepparam");
        File.WriteAllText(parametersFile, parameters.ToString());
        var result = BicepCli.Run(
            directory,
            "snapshot", parametersFile,
            "--subscription-id", SubscriptionId,
            "--tenant-id", TenantId,
            "--location", "westeurope",
            "--deployment-name", "inventory-test");
        var snapshotFile = Path.ChangeExtension(parametersFile, ".snapshot.json");
        if (result.ExitCode != 0 || !File.Exists(snapshotFile))
        {
            throw new InvalidOperationException($"bicep snapshot failed for scenario {scenario.Name} (exit {result.ExitCode}):\n{result.Combined}");
        }

        var snapshot = Snapshot.Parse(scenario.Name, File.ReadAllText(snapshotFile));
        using var document = JsonDocument.Parse(File.ReadAllText(snapshotFile));
        var diagnostics = document.RootElement.GetProperty("diagnostics");
        if (diagnostics.GetArrayLength() > 0)
        {
            throw new InvalidOperationException($"bicep snapshot reported diagnostics for scenario {scenario.Name}:\n{diagnostics}");
        }

        return snapshot;
    }

    private static string CreateWorkDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"inventory-infra-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return directory;
    }
}

/// <summary>Result of `bicep build` over infra/: the CLI's output and each file's ARM JSON (keyed like BicepFiles).</summary>
public sealed record BuildOutput(ProcessResult Result, IReadOnlyDictionary<string, string> Templates);
