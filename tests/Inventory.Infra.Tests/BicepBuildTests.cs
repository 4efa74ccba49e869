using System.Text.Json;
using System.Text.RegularExpressions;

namespace Inventory.Infra.Tests;

public sealed class BicepBuildTests
{
    [Fact]
    public void InfraHoldsTheEntryPointAndItsModules()
    {
        Assert.Contains("main.bicep", Infra.BicepFiles);
        Assert.Contains("app/rbac.bicep", Infra.BicepFiles);
        Assert.Contains("app/function.bicep", Infra.BicepFiles);
        Assert.Contains("app/workbook.bicep", Infra.BicepFiles);
        Assert.Contains("app/alerts.bicep", Infra.BicepFiles);
    }

    [Fact]
    public void EveryBicepFileBuildsToAnArmTemplate()
    {
        var build = Infra.BuildResult;

        Assert.True(build.Result.ExitCode == 0, $"bicep build failed:\n{build.Result.Combined}");
        Assert.All(Infra.BicepFiles, file =>
        {
            Assert.True(build.Templates.ContainsKey(file), $"bicep build wrote no template for {file}.");
            using var template = JsonDocument.Parse(build.Templates[file]);
            Assert.Matches("/(subscriptionD|d)eploymentTemplate\\.json#$", template.RootElement.GetProperty("$schema").GetString());
            Assert.True(template.RootElement.TryGetProperty("resources", out _), $"{file} compiled without resources.");
        });
    }

    // Policy: the linter (with infra/bicepconfig.json, which raises the rules that matter here to errors) must report
    // nothing at all, warnings included. A rule that must be waived is waived in place with #disable-next-line and a reason.
    [Fact]
    public void LintReportsNoErrorsAndNoWarnings()
    {
        var lint = Infra.LintResult;

        Assert.True(lint.ExitCode == 0, $"bicep lint failed:\n{lint.Combined}");
        var diagnostics = lint.Combined
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => Regex.IsMatch(line, @"\) : (Error|Warning|Info) "))
            .ToList();
        Assert.True(diagnostics.Count == 0, "bicep lint diagnostics:\n" + string.Join('\n', diagnostics));
    }

    [Fact]
    public void NoFileUsesRegistryModules()
    {
        // Registry modules (br/public:..., br:..., ts:...) cannot be restored on these machines.
        var offenders = Infra.BicepFiles
            .Where(file => Regex.IsMatch(File.ReadAllText(Path.Combine(RepoPaths.Infra, file)), @"'(br|ts)(/[a-z]+)?:"))
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void NoTemplateReadsKeysOrTakesSecrets()
    {
        var build = Infra.BuildResult;
        Assert.NotEmpty(build.Templates);

        foreach (var (file, json) in build.Templates)
        {
            // list*() hands back keys, SAS tokens and connection strings with secrets in them.
            Assert.DoesNotMatch(new Regex(@"\blist[A-Za-z]*\(", RegexOptions.IgnoreCase), json);
            Assert.DoesNotContain("AccountKey=", json, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessSignature", json, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("InstrumentationKey=", json, StringComparison.OrdinalIgnoreCase);

            // Nothing needs a secret as input: there is no securestring or secureObject parameter anywhere.
            using var template = JsonDocument.Parse(json);
            if (template.RootElement.TryGetProperty("parameters", out var parameters))
            {
                foreach (var parameter in parameters.EnumerateObject())
                {
                    var type = parameter.Value.TryGetProperty("type", out var t) ? t.GetString() : null;
                    Assert.False(
                        string.Equals(type, "securestring", StringComparison.OrdinalIgnoreCase)
                        || string.Equals(type, "secureObject", StringComparison.OrdinalIgnoreCase),
                        $"{file}: parameter {parameter.Name} is a secret input.");
                }
            }
        }
    }

    [Fact]
    public void EverySnapshotScenarioEvaluatesWithoutDiagnostics()
    {
        // Infra.SnapshotOf throws with bicep's output when evaluation fails or reports diagnostics.
        Assert.All(Infra.AllScenarios, scenario => Assert.NotEmpty(Infra.SnapshotOf(scenario).Resources));
    }
}
