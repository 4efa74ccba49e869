using System.Security.Cryptography;
using System.Text;
using Inventory.Api.Http;

namespace Inventory.Server;

/// <summary>
/// The plain server's stand-in for the Functions host keys: the same header (x-functions-key) or query (code),
/// compared in constant time. Without configured keys, random ones are made and printed at start.
/// </summary>
public sealed class ApiKeys
{
    private readonly byte[] _function;
    private readonly byte[] _admin;

    public ApiKeys(string? functionKey, string? adminKey)
    {
        Generated = string.IsNullOrEmpty(functionKey) || string.IsNullOrEmpty(adminKey);
        FunctionKey = string.IsNullOrEmpty(functionKey) ? RandomKey() : functionKey;
        AdminKey = string.IsNullOrEmpty(adminKey) ? RandomKey() : adminKey;
        _function = Encoding.UTF8.GetBytes(FunctionKey);
        _admin = Encoding.UTF8.GetBytes(AdminKey);
    }

    public bool Generated { get; }

    public string FunctionKey { get; }

    public string AdminKey { get; }

    public bool Allows(RouteAccess access, string? presented)
    {
        if (access == RouteAccess.Anonymous)
        {
            return true;
        }

        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var bytes = Encoding.UTF8.GetBytes(presented);
        // The admin key opens every route, as the Functions master key does.
        var admin = CryptographicOperations.FixedTimeEquals(bytes, _admin);
        return access == RouteAccess.Admin ? admin : admin | CryptographicOperations.FixedTimeEquals(bytes, _function);
    }

    private static string RandomKey() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
}
