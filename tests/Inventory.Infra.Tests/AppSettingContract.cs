using System.Text.Json;

namespace Inventory.Infra.Tests;

/// <summary>
/// How the app settings in Azure relate to local.settings.sample.json, the list of every setting the code reads.
/// Azure gets every sample name except the local-only ones, plus the Azure-only ones; each exception says why.
/// </summary>
public static class AppSettingContract
{
    /// <summary>In the sample, deliberately not set in Azure.</summary>
    public static readonly IReadOnlyDictionary<string, string> LocalOnly = new Dictionary<string, string>
    {
        ["AzureWebJobsStorage"] =
            "a connection string (Azurite locally); Azure uses the identity-based AzureWebJobsStorage__accountName/__credential/__clientId instead, no key",
        ["FUNCTIONS_WORKER_RUNTIME"] =
            "Flex Consumption takes the runtime from functionAppConfig.runtime (dotnet-isolated 10.0), not from app settings",
    };

    /// <summary>Set in Azure only: identity and telemetry wiring that a local run does not need.</summary>
    public static readonly IReadOnlyDictionary<string, string> AzureOnly = new Dictionary<string, string>
    {
        ["AzureWebJobsStorage__accountName"] = "host storage by identity: the account",
        ["AzureWebJobsStorage__credential"] = "host storage by identity: 'managedidentity'",
        ["AzureWebJobsStorage__clientId"] = "host storage by identity: which user-assigned identity",
        ["AZURE_CLIENT_ID"] = "DefaultAzureCredential in the worker picks the user-assigned identity (Redis and SQL tokens)",
        ["Inventory__Redis__UseEntraId"] = "Redis with Entra tokens instead of a password; locally Redis has no auth (defaults to false)",
        ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = "where telemetry goes (not a credential once local auth is off)",
        ["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] = "telemetry signed with the identity's Entra token (local auth is off)",
    };

    /// <summary>Settings Flex Consumption does not accept, or that would bring keys back.</summary>
    public static readonly IReadOnlyList<string> Forbidden =
    [
        "AzureWebJobsStorage",
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "WEBSITE_CONTENTSHARE",
        "APPINSIGHTS_INSTRUMENTATIONKEY",
    ];

    public static IReadOnlySet<string> SampleNames()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(RepoPaths.Combine("local.settings.sample.json")));
        return document.RootElement.GetProperty("Values").EnumerateObject().Select(property => property.Name).ToHashSet(StringComparer.Ordinal);
    }

    public static string SampleValue(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(RepoPaths.Combine("local.settings.sample.json")));
        return document.RootElement.GetProperty("Values").GetProperty(name).GetString()!;
    }

    public static IReadOnlySet<string> ExpectedInAzure() =>
        SampleNames().Except(LocalOnly.Keys).Concat(AzureOnly.Keys).ToHashSet(StringComparer.Ordinal);
}
