namespace Inventory.Domain;

/// <summary>Rules shared by order ids, SKUs and adjustment ids, identical in both hosts and in Redis keys.</summary>
public static class Identifiers
{
    public const int MaxLength = 64;

    /// <summary>Returns null when valid, otherwise the reason a caller can act on.</summary>
    public static string? Validate(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "is required";
        }

        if (value.Length > MaxLength)
        {
            return $"must be at most {MaxLength} characters";
        }

        var onlyDots = true;
        foreach (var c in value)
        {
            if (!IsAllowed(c))
            {
                return "may contain only letters, digits, '.', '_', ':' and '-'";
            }

            onlyDots &= c == '.';
        }

        return onlyDots ? "must not consist only of dots" : null;
    }

    private static bool IsAllowed(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or ':' or '-';
}
