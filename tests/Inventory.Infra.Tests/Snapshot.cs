using System.Text.Json;

namespace Inventory.Infra.Tests;

/// <summary>
/// One deployment of infra/main.bicep as `bicep snapshot` predicts it: every resource of every module, flattened,
/// with parameters and names evaluated. Values known only at deploy time stay ARM expressions, e.g.
/// "[reference('/subscriptions/.../userAssignedIdentities/id-...', '2024-11-30').principalId]".
/// </summary>
public sealed class Snapshot
{
    private Snapshot(string scenario, IReadOnlyList<JsonElement> resources, JsonElement outputs)
    {
        Scenario = scenario;
        Resources = resources;
        Outputs = outputs;
    }

    public string Scenario { get; }

    public IReadOnlyList<JsonElement> Resources { get; }

    public JsonElement Outputs { get; }

    public static Snapshot Parse(string scenario, string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement.Clone();
        var resources = root.GetProperty("predictedResources").EnumerateArray().ToList();
        return new Snapshot(scenario, resources, root.GetProperty("outputs"));
    }

    public IReadOnlyList<JsonElement> OfType(string type) =>
        Resources.Where(resource => string.Equals(resource.GetProperty("type").GetString(), type, StringComparison.OrdinalIgnoreCase)).ToList();

    public JsonElement Single(string type)
    {
        var matches = OfType(type);
        Assert.True(matches.Count == 1, $"[{Scenario}] expected exactly one {type}, found {matches.Count}.");
        return matches[0];
    }

    public JsonElement Site => Single("Microsoft.Web/sites");

    public string IdentityId => Single("Microsoft.ManagedIdentity/userAssignedIdentities").GetProperty("id").GetString()!;

    public string IdentityName => Single("Microsoft.ManagedIdentity/userAssignedIdentities").GetProperty("name").GetString()!;

    /// <summary>True when an expression is exactly the identity's runtime property, e.g. its principalId.</summary>
    public bool IsIdentityProperty(string? expression, string property) =>
        expression is not null
        && expression.StartsWith($"[reference('{IdentityId}', ", StringComparison.Ordinal)
        && expression.EndsWith($").{property}]", StringComparison.Ordinal)
        && expression.Count(c => c == '(') == 1;

    public bool MentionsIdentityProperty(string? expression, string property) =>
        expression is not null && expression.Contains($"reference('{IdentityId}', ", StringComparison.Ordinal)
        && expression.Contains($").{property}", StringComparison.Ordinal);

    public IReadOnlyList<KeyValuePair<string, string>> AppSettings =>
        Site.GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings").EnumerateArray()
            .Select(setting => KeyValuePair.Create(setting.GetProperty("name").GetString()!, setting.GetProperty("value").GetString()!))
            .ToList();

    public string AppSetting(string name)
    {
        var matches = AppSettings.Where(setting => setting.Key == name).ToList();
        Assert.True(matches.Count == 1, $"[{Scenario}] expected app setting {name} once, found it {matches.Count} times.");
        return matches[0].Value;
    }

    public string Output(string name) => Outputs.GetProperty(name).ToString();
}
