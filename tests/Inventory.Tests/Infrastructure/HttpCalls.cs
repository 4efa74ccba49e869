using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Inventory.Tests.Infrastructure;

/// <summary>Small helpers for calling the HTTP API the way a checkout frontend would.</summary>
public static class HttpCalls
{
    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body, new JsonSerializerOptions(JsonSerializerDefaults.Web)), Encoding.UTF8, "application/json");

    public static StringContent Raw(string body, string contentType = "application/json") => new(body, Encoding.UTF8, contentType);

    public static object Order(string orderId, params (string Sku, long Quantity)[] lines) =>
        new { orderId, lines = lines.Select(l => new { sku = l.Sku, quantity = l.Quantity }).ToArray() };

    public static async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> PostAsync(this HttpClient client, string path, object body)
    {
        var response = await client.PostAsync(path, Json(body));
        return (response.StatusCode, await ReadAsync(response), response);
    }

    public static async Task<(HttpStatusCode Status, JsonNode? Body)> GetJsonAsync(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        return (response.StatusCode, await ReadAsync(response));
    }

    /// <summary>
    /// Test setup: a 503 (a cluster node still settling after an earlier test's failover, a partition being rebuilt)
    /// is retried for up to 30 s, since setting absolute stock is idempotent; anything else fails the test at once.
    /// </summary>
    public static async Task SetStockAsync(this IApiHost server, string sku, long available)
    {
        using var admin = server.CreateClient(ServerProcess.AdminKey);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var response = await admin.PutAsync($"api/stock/{sku}", Json(new { available }));
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                response.EnsureSuccessStatusCode();
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    public static async Task<long?> AvailableAsync(this HttpClient client, string sku)
    {
        var response = await client.GetAsync($"api/stock/{sku}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return (await response.Content.ReadFromJsonAsync<JsonNode>())!["available"]!.GetValue<long>();
    }

    private static async Task<JsonNode?> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }
}
