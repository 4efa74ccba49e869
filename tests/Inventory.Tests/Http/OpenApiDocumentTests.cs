using System.Text.Json;
using System.Text.Json.Nodes;
using Inventory.Api.Http;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Http;

/// <summary>docs/openapi.json is what the plain server serves; regenerate with INVENTORY_UPDATE_OPENAPI=1 ./test --filter OpenApi.</summary>
public sealed class OpenApiDocumentTests(StandaloneServer fixture) : IClassFixture<StandaloneServer>
{
    private static readonly string Committed = Path.Combine(TestEnvironment.RepoRoot, "docs", "openapi.json");

    [Fact]
    public async Task The_committed_document_matches_the_routes_the_server_serves()
    {
        using var client = fixture.Server.CreateClient(null);
        var served = JsonNode.Parse(await client.GetStringAsync("openapi/v1.json"))!;
        if (Environment.GetEnvironmentVariable("INVENTORY_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(Committed, served.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }

        var committed = JsonNode.Parse(await File.ReadAllTextAsync(Committed))!;
        Assert.True(JsonNode.DeepEquals(committed, served), "docs/openapi.json differs from the server's /openapi/v1.json: run INVENTORY_UPDATE_OPENAPI=1 ./test --filter OpenApi and commit it.");

        var documented = served["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(m => $"{m.Key.ToUpperInvariant()} {p.Key}")).Order().ToList();
        var routes = InventoryRoutes.All.Select(r => $"{r.Method} /{InventoryRoutes.Prefix}/{r.Template}").Order().ToList();
        Assert.Equal(routes, documented);
    }
}
