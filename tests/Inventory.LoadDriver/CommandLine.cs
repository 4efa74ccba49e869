using System.Globalization;

namespace Inventory.LoadDriver;

/// <summary>"--name value" pairs after a verb; unknown names fail loudly so a typo never runs the default.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CommandLine(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= list.Count)
            {
                throw new ArgumentException($"expected --name value, got '{list[i]}'");
            }

            _values[list[i][2..]] = list[++i];
        }
    }

    public string String(string name, string fallback)
    {
        _read.Add(name);
        return _values.GetValueOrDefault(name) ?? fallback;
    }

    public string? Optional(string name)
    {
        _read.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public string Required(string name) => Optional(name) ?? throw new ArgumentException($"--{name} is required");

    public int Int(string name, int fallback) => int.Parse(String(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public long Long(string name, long fallback) => long.Parse(String(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public double Double(string name, double fallback) => double.Parse(String(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public TimeSpan Seconds(string name, double fallback) => TimeSpan.FromSeconds(Double(name, fallback));

    /// <summary>Call after reading every option: names given but never read are typos.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(u => "--" + u))}");
        }
    }
}
