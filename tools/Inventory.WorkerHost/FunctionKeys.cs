using System.Security.Cryptography;
using System.Text;

namespace Inventory.WorkerHost;

/// <summary>
/// The host keys a function's authLevel asks for: the function key opens Function routes, the admin (master) key
/// opens every route. Presented as the x-functions-key header or the code query parameter, as on Azure.
/// </summary>
public sealed class FunctionKeys
{
    public FunctionKeys(string? functionKey, string? adminKey)
    {
        Generated = string.IsNullOrEmpty(functionKey) || string.IsNullOrEmpty(adminKey);
        Function = string.IsNullOrEmpty(functionKey) ? NewKey() : functionKey;
        Admin = string.IsNullOrEmpty(adminKey) ? NewKey() : adminKey;
    }

    public string Function { get; }

    public string Admin { get; }

    public bool Generated { get; }

    public bool Allows(string? authLevel, string? presented)
    {
        var level = (authLevel ?? "function").ToLowerInvariant();
        if (level == "anonymous")
        {
            return true;
        }

        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        return Same(presented, Admin) || (level == "function" && Same(presented, Function));
    }

    private static bool Same(string presented, string key) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(key));

    private static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
