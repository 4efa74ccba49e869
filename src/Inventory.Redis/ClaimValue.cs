using System.Globalization;

namespace Inventory.Redis;

/// <summary>
/// An order's claim in its home partition, one string so a single-partition order claims with a native
/// SET NX GET (no script) in the same round trip as its deduction: state|nonce|startMs|partitions|fingerprint|lines.
/// '|' never occurs in identifiers, quantities or the space/comma separated parts.
/// </summary>
internal sealed record ClaimValue(string State, string Nonce, long StartMs, string Partitions, string Fingerprint, string Lines)
{
    public const string Single = "single";

    public string Format() => string.Join('|', State, Nonce, StartMs.ToString(CultureInfo.InvariantCulture), Partitions, Fingerprint, Lines);

    public int[] PartitionList => Partitions.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();

    public static ClaimValue? Parse(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var parts = value.Split('|');
        if (parts.Length != 6)
        {
            throw new FormatException($"Malformed claim '{value}'.");
        }

        return new ClaimValue(parts[0], parts[1], long.TryParse(parts[2], CultureInfo.InvariantCulture, out var start) ? start : 0, parts[3], parts[4], parts[5]);
    }
}
