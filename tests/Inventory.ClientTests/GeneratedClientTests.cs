using System.Text.Json.Nodes;
using Inventory.Client;
using Inventory.Client.Api.Deductions;
using Inventory.Client.Api.Stock.Item;
using Inventory.Client.Models;
using Inventory.Tests.Infrastructure;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace Inventory.ClientTests;

/// <summary>The plain server as a real process, shared by the tests of the class (it takes seconds to start).</summary>
public sealed class ClientServer : IAsyncLifetime
{
    public ServerProcess Server { get; } = new(TestEnvironment.Redis, TestEnvironment.UniquePrefix("client"));

    public Task InitializeAsync() => Server.StartAsync();

    public Task DisposeAsync() => Server.DisposeAsync().AsTask();
}

/// <summary>
/// What a client team gets from docs/openapi.json: the Kiota client generated from it at build time
/// (Inventory.ClientTests.csproj), used as they would use it, against the real server. The key goes where the
/// document's security schemes say, read from the document rather than written here.
/// </summary>
public sealed class GeneratedClientTests(ClientServer fixture) : IClassFixture<ClientServer>, IDisposable
{
    private readonly List<IDisposable> _adapters = [];

    private static readonly JsonNode Document = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.RepoRoot, "docs", "openapi.json")))!;

    [Fact]
    public async Task A_client_generated_from_the_document_deducts_replays_refuses_and_cancels()
    {
        var admin = Client(ServerProcess.AdminKey, "adminKey");
        var client = Client(ServerProcess.FunctionKey, "functionKey");
        var sku = Id("sku");
        var orderId = Id("order");

        var set = await admin.Api.Stock[sku].PutAsync(new WithSkuPutRequestBody { Available = 10 });
        Assert.Equal(10, set!.Available);

        var deducted = await client.Api.Deductions.PostAsync(Order(orderId, sku, 3));
        Assert.Equal(orderId, deducted!.OrderId);
        Assert.Equal(DeductionBody_status.Deducted, deducted.Status);
        var line = Assert.Single(deducted.Lines!);
        Assert.Equal((sku, 3L, 7L), (line.Sku, line.Quantity, line.Remaining));

        // The replay answers the original body; only the header says it is one.
        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
        var replayed = await client.Api.Deductions.PostAsync(Order(orderId, sku, 3), r => r.Options.Add(headers));
        Assert.Equal(7, Assert.Single(replayed!.Lines!).Remaining);
        Assert.Equal(["true"], headers.ResponseHeaders["Idempotent-Replayed"]);

        var otherLines = await Assert.ThrowsAsync<ProblemDetails>(() => client.Api.Deductions.PostAsync(Order(orderId, sku, 4)));
        Assert.Equal(422, otherLines.ResponseStatusCode);
        Assert.Equal(422, otherLines.Status);

        var shortOrder = Id("short");
        var insufficient = await Assert.ThrowsAsync<DeductionConflictBody>(() => client.Api.Deductions.PostAsync(Order(shortOrder, sku, 8)));
        Assert.Equal(409, insufficient.ResponseStatusCode);
        Assert.Equal(DeductionConflictBody_status.Insufficient, insufficient.Status);
        Assert.Equal(shortOrder, insufficient.OrderId);
        var shortLine = Assert.Single(insufficient.Lines!);
        Assert.Equal((sku, 8L, 7L), (shortLine.Sku, shortLine.Requested, shortLine.Available));

        var cancelled = await client.Api.Deductions[orderId].Cancel.PostAsync();
        Assert.Equal(DeductionBody_status.Cancelled, cancelled!.Status);
        Assert.Equal((sku, 3L, 10L), (Assert.Single(cancelled.Lines!).Sku, cancelled.Lines![0].Quantity, cancelled.Lines[0].Remaining));

        var order = await client.Api.Deductions[orderId].GetAsync();
        Assert.Equal(OrderBody_status.Cancelled, order!.Status);
        Assert.Equal((sku, 3L), (Assert.Single(order.Lines!).Sku, order.Lines![0].Quantity));

        var stock = await client.Api.Stock[sku].GetAsync();
        Assert.Equal((sku, 10L), (stock!.Sku, stock.Available));
    }

    [Fact]
    public async Task The_key_in_the_code_query_opens_the_routes_too()
    {
        var admin = Client(ServerProcess.AdminKey, "adminKeyQuery");
        var client = Client(ServerProcess.FunctionKey, "functionKeyQuery");
        var sku = Id("sku");

        await admin.Api.Stock[sku].PutAsync(new WithSkuPutRequestBody { Available = 5 });
        var deducted = await client.Api.Deductions.PostAsync(Order(Id("query"), sku, 2));
        Assert.Equal(3, Assert.Single(deducted!.Lines!).Remaining);
    }

    [Fact]
    public async Task Without_a_key_the_client_gets_the_documented_401_problem()
    {
        var client = Client(new AnonymousAuthenticationProvider());

        var refused = await Assert.ThrowsAsync<ProblemDetails>(() => client.Api.Stock[Id("sku")].GetAsync());
        Assert.Equal(401, refused.ResponseStatusCode);
        Assert.Equal(401, refused.Status);
    }

    private string BaseUrl => fixture.Server.BaseAddress.ToString().TrimEnd('/');

    /// <summary>A client whose key goes where the named security scheme of the document puts it.</summary>
    private ApiClient Client(string key, string scheme)
    {
        var declared = Document["components"]!["securitySchemes"]![scheme]!;
        Assert.Equal("apiKey", (string?)declared["type"]);
        return Client(new KeySchemeProvider(key, (string)declared["name"]!, (string)declared["in"]!));
    }

    private ApiClient Client(IAuthenticationProvider authentication)
    {
        var adapter = new HttpClientRequestAdapter(authentication) { BaseUrl = BaseUrl };
        _adapters.Add(adapter);
        return new ApiClient(adapter);
    }

    public void Dispose() => _adapters.ForEach(a => a.Dispose());

    private static DeductionsPostRequestBody Order(string orderId, string sku, long quantity) =>
        new() { OrderId = orderId, Lines = [new DeductionsPostRequestBody_lines { Sku = sku, Quantity = quantity }] };

    /// <summary>Fresh ids per run: the server's Redis key prefix is fresh too, but ids say which test made them.</summary>
    private static string Id(string name) => $"{name}-{Guid.NewGuid():N}";
}

/// <summary>
/// An apiKey security scheme as the document declares it (in: header or query). Not Kiota's
/// ApiKeyAuthenticationProvider: it refuses any URL that is not https ("Only https is supported"), and ./run and this
/// test serve plain http on loopback. Deployed, the Functions app is https and that provider works as is.
/// </summary>
internal sealed class KeySchemeProvider(string key, string name, string location) : IAuthenticationProvider
{
    public Task AuthenticateRequestAsync(RequestInformation request, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default)
    {
        switch (location)
        {
            case "header":
                request.Headers.Add(name, key);
                break;
            case "query":
                var uri = request.URI;
                request.URI = new Uri($"{uri.OriginalString}{(uri.Query.Length > 0 ? "&" : "?")}{Uri.EscapeDataString(name)}={Uri.EscapeDataString(key)}");
                break;
            default:
                throw new InvalidOperationException($"The document puts the key in {location}, which this client does not know.");
        }

        return Task.CompletedTask;
    }
}
