using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using YamlDotNet.Serialization;

namespace Inventory.Infra.Tests;

/// <summary>azure.yaml, main.parameters.json, compose.yaml, the SQL post-deploy script and the operations doc.</summary>
public sealed class RepoFilesTests
{
    private static Dictionary<object, object> Yaml(string relativePath) =>
        new DeserializerBuilder().Build().Deserialize<Dictionary<object, object>>(File.ReadAllText(RepoPaths.Combine(relativePath)));

    private static Dictionary<object, object> Map(object node) => Assert.IsType<Dictionary<object, object>>(node);

    public static string AzdServiceName() => (string)Assert.Single(Map(Yaml("azure.yaml")["services"])).Key;

    [Fact]
    public void AzureYamlDeploysTheFunctionsProjectWithTheBicep()
    {
        var azure = Yaml("azure.yaml");
        var service = Map(Assert.Single(Map(azure["services"])).Value);
        var project = RepoPaths.Combine(((string)service["project"]).TrimStart('.', '/'));
        var infra = Map(azure["infra"]);

        Assert.Equal("function", service["host"]);
        Assert.Equal("dotnet", service["language"]);
        Assert.True(Directory.Exists(project), $"azure.yaml deploys {project}, which does not exist.");
        Assert.Single(Directory.EnumerateFiles(project, "*.csproj"));
        Assert.Equal("bicep", infra["provider"]);
        Assert.True(File.Exists(RepoPaths.Combine((string)infra["path"], $"{infra["module"]}.bicep")));
    }

    [Fact]
    public void AzureYamlHookScriptsExist()
    {
        var hooks = Map(Yaml("azure.yaml")["hooks"]);

        Assert.NotEmpty(hooks);
        foreach (var (_, hook) in hooks)
        {
            var run = (string)Map(Map(hook)["posix"])["run"];
            var script = RepoPaths.Combine(run.TrimStart('.', '/'));
            Assert.True(File.Exists(script), $"hook script {run} does not exist.");
            if (!OperatingSystem.IsWindows())
            {
                Assert.True(File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute), $"{run} is not executable.");
            }
        }
    }

    [Fact]
    public void MainParametersFileSetsOnlyDeclaredParametersAndEveryRequiredOne()
    {
        using var template = JsonDocument.Parse(Infra.BuildResult.Templates["main.bicep"]);
        using var parametersFile = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Infra, "main.parameters.json")));
        var declared = template.RootElement.GetProperty("parameters").EnumerateObject().ToList();
        var given = parametersFile.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToList();

        Assert.All(given, name => Assert.Contains(name, declared.Select(p => p.Name)));
        Assert.All(declared.Where(p => !p.Value.TryGetProperty("defaultValue", out _)), p => Assert.Contains(p.Name, given));
    }

    [Fact]
    public void ComposeServesWhatTheSampleSettingsPointAt()
    {
        var services = Map(Yaml("compose.yaml")["services"]);
        List<string> Ports(string service) => ((List<object>)Map(services[service])["ports"]).Cast<string>().ToList();

        // Inventory__Redis__Configuration = "127.0.0.1:6380": Redis's 6379 published on 6380.
        var redisPort = AppSettingContract.SampleValue("Inventory__Redis__Configuration").Split(',')[0].Split(':')[1];
        Assert.Contains($"127.0.0.1:{redisPort}:6379", Ports("redis"));

        // The PostgreSQL connection string's Port.
        var postgresPort = Regex.Match(AppSettingContract.SampleValue("Inventory__Sql__ConnectionString"), @"Port=(\d+)").Groups[1].Value;
        Assert.Contains($"127.0.0.1:{postgresPort}:5432", Ports("postgres"));

        // UseDevelopmentStorage=true: blob 10000, queue 10001, table 10002.
        Assert.Equal("UseDevelopmentStorage=true", AppSettingContract.SampleValue("AzureWebJobsStorage"));
        Assert.Equal(["127.0.0.1:10000:10000", "127.0.0.1:10001:10001", "127.0.0.1:10002:10002"], Ports("azurite"));

        Assert.Contains("127.0.0.1:1433:1433", Ports("sqlserver"));
        Assert.Equal("Y", Map(Map(services["sqlserver"])["environment"])["ACCEPT_EULA"]);
    }

    [Fact]
    public void ComposeServicesPublishOnlyOnLoopback()
    {
        var services = Map(Yaml("compose.yaml")["services"]);

        Assert.All(services, service =>
        {
            if (Map(service.Value).TryGetValue("ports", out var ports))
            {
                Assert.All((List<object>)ports, port => Assert.StartsWith("127.0.0.1:", (string)port, StringComparison.Ordinal));
            }
        });
    }

    private static (TSqlScript Script, IList<ParseError> Errors) ParseGrantScript()
    {
        // sqlcmd substitutes $(NAME) before SQL Server sees the text; do the same with plausible values.
        var text = File.ReadAllText(Path.Combine(RepoPaths.Infra, "scripts", "sql-grant-identity.sql"));
        text = text.Replace("$(IDENTITY_NAME)", "id-inventory-abc", StringComparison.Ordinal)
            .Replace("$(IDENTITY_OBJECT_ID)", "11111111-2222-3333-4444-555555555555", StringComparison.Ordinal);
        Assert.DoesNotContain("$(", text, StringComparison.Ordinal);
        var fragment = new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(text), out var errors);
        return ((TSqlScript)fragment, errors);
    }

    [Fact]
    public void SqlGrantScriptParsesAndGrantsWhatTheAppNeeds()
    {
        var (script, errors) = ParseGrantScript();
        var statements = script.Batches.SelectMany(batch => batch.Statements).ToList();
        var nested = statements.OfType<IfStatement>().Select(statement => statement.ThenStatement)
            .SelectMany(statement => statement is BeginEndBlockStatement block ? block.StatementList.Statements.Cast<TSqlStatement>() : [statement])
            .ToList();

        Assert.Empty(errors.Select(error => $"{error.Line}:{error.Column} {error.Message}"));
        var createUser = Assert.Single(nested.OfType<CreateUserStatement>());
        Assert.Equal("id-inventory-abc", createUser.Name.Value);
        Assert.Equal(UserLoginOptionType.External, createUser.UserLoginOption.UserLoginOptionType);
        var roles = statements.OfType<AlterRoleStatement>()
            .Select(statement => (statement.Name.Value, Member: ((AddMemberAlterRoleAction)statement.Action).Member.Value))
            .ToList();
        Assert.Equal(
            [("db_datareader", "id-inventory-abc"), ("db_datawriter", "id-inventory-abc"), ("db_ddladmin", "id-inventory-abc")],
            roles);
        Assert.Single(statements.OfType<GrantStatement>());
    }

    [Fact]
    public void SqlGrantShellScriptPassesExactlyTheVariablesTheSqlUses()
    {
        var sql = File.ReadAllText(Path.Combine(RepoPaths.Infra, "scripts", "sql-grant-identity.sql"));
        var shell = File.ReadAllText(Path.Combine(RepoPaths.Infra, "scripts", "sql-grant-identity.sh"));
        var used = Regex.Matches(sql, @"\$\(([A-Z_]+)\)").Select(match => match.Groups[1].Value).ToHashSet();
        var passed = Regex.Matches(shell, @"\b([A-Z_]+)=""\$").Select(match => match.Groups[1].Value).ToHashSet();

        Assert.NotEmpty(used);
        Assert.Equal(used.Order(), passed.Order());
    }

    [Fact]
    public void ScriptsReadOnlyOutputsTheBicepDeclares()
    {
        using var template = JsonDocument.Parse(Infra.BuildResult.Templates["main.bicep"]);
        var outputs = template.RootElement.GetProperty("outputs").EnumerateObject().Select(output => output.Name).ToHashSet();
        var scripts = Directory.EnumerateFiles(Path.Combine(RepoPaths.Infra, "scripts"), "*.sh").ToList();

        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            var read = Regex.Matches(File.ReadAllText(script), @"\$\{?((AZURE|DATABASE|REDIS)_[A-Z_]+)").Select(match => match.Groups[1].Value);
            Assert.All(read, name => Assert.True(outputs.Contains(name), $"{Path.GetFileName(script)} reads {name}, which main.bicep does not output."));
        }
    }

    [Fact]
    public void OperationsDocDescribesEveryParameter()
    {
        var doc = File.ReadAllText(RepoPaths.Combine("docs", "operations.md"));
        using var template = JsonDocument.Parse(Infra.BuildResult.Templates["main.bicep"]);
        var undocumented = template.RootElement.GetProperty("parameters").EnumerateObject()
            .Select(parameter => parameter.Name)
            .Where(name => !doc.Contains($"`{name}`", StringComparison.Ordinal))
            .ToList();

        Assert.Empty(undocumented);
    }
}
