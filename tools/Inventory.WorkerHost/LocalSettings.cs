using System.Text.Json.Nodes;

namespace Inventory.WorkerHost;

/// <summary>The Values of a local.settings.json file (Core Tools' format).</summary>
public static class LocalSettings
{
    public static IReadOnlyDictionary<string, string> Read(string path)
    {
        var values = JsonNode.Parse(File.ReadAllText(path))?["Values"]?.AsObject();
        return values?.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.OrdinalIgnoreCase)
            ?? new Dictionary<string, string>();
    }
}
