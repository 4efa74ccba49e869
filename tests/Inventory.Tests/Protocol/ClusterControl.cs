using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Inventory.Domain;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Protocol;

/// <summary>
/// Black-box helpers for the exactly-once regression tests: where a partition lives on the 3-master cluster,
/// pausing a primary's writes (always undone), and waiting on conditions instead of sleeping.
/// </summary>
public sealed class ClusterControl : IAsyncDisposable
{
    private ClusterControl(IConnectionMultiplexer admin, string prefix, int partitions)
    {
        Admin = admin;
        Prefix = prefix;
        Partitioner = new Partitioner(partitions);
    }

    public IConnectionMultiplexer Admin { get; }

    public string Prefix { get; }

    public Partitioner Partitioner { get; }

    public static async Task<ClusterControl> ConnectAsync(string prefix, int partitions = 16) =>
        new(await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisCluster + ",allowAdmin=true,abortConnect=false"), prefix, partitions);

    public string Tag(int partition) => $"{{{Prefix}:{partition}}}";

    public RedisKey StockKey(int partition) => Tag(partition) + ":stock";

    public RedisKey ClaimKey(string orderId) => Tag(Partitioner.HomeOf(orderId)) + ":c:" + orderId;

    public RedisKey RecordKey(int partition, string orderId) => Tag(partition) + ":o:" + orderId;

    public RedisKey PendingKey(int home) => Tag(home) + ":pending";

    /// <summary>The primary that owns partition <paramref name="partition"/>'s hash slot, from the live cluster map.</summary>
    public string PrimaryOfPartition(int partition) => Admin.GetDatabase().IdentifyEndpoint(StockKey(partition))!.ToString()!;

    public string PrimaryOfSku(string sku) => PrimaryOfPartition(Partitioner.PartitionOf(sku));

    public string PrimaryOfClaim(string orderId) => PrimaryOfPartition(Partitioner.HomeOf(orderId));

    /// <summary>Primaries that own slots, from CLUSTER NODES (failovers by other tests may have moved them off 7001-7003).</summary>
    public IReadOnlyList<string> Primaries()
    {
        var any = Admin.GetServers().First(s => s.IsConnected);
        var nodes = any.ClusterNodes()!;
        return nodes.Nodes.Where(n => !n.IsReplica && n.Slots.Count > 0).Select(n => n.EndPoint!.ToString()!).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>First name <c>stem-i</c> satisfying <paramref name="accept"/>.</summary>
    public static string FindName(string stem, Func<string, bool> accept)
    {
        for (var i = 0; i < 1_000_000; i++)
        {
            var name = $"{stem}-{i}";
            if (accept(name))
            {
                return name;
            }
        }

        throw new InvalidOperationException($"No name {stem}-* fits.");
    }

    /// <summary>SKUs in distinct partitions on distinct primaries, one per primary, ordered like <see cref="Primaries"/>.</summary>
    public IReadOnlyList<string> SkusOnDistinctPrimaries(string stem, int count)
    {
        var primaries = Primaries();
        Assert.True(primaries.Count >= count, $"cluster has {primaries.Count} primaries");
        return primaries.Take(count).Select(p => FindName($"{stem}{p.Split(':')[^1]}", s => PrimaryOfSku(s) == p)).ToList();
    }

    /// <summary>CLIENT PAUSE ms WRITE on one primary; disposing the handle always sends CLIENT UNPAUSE.</summary>
    public async Task<IAsyncDisposable> PauseWritesAsync(string primary, int milliseconds)
    {
        var server = Admin.GetServer(primary);
        await server.ExecuteAsync("CLIENT", "PAUSE", milliseconds.ToString(CultureInfo.InvariantCulture), "WRITE");
        return new Unpause(server);
    }

    /// <summary>Polls until a write to a key owned by <paramref name="primary"/> succeeds: its pause is over.</summary>
    public async Task WaitUntilWritableAsync(string primary, TimeSpan bound)
    {
        var partition = Enumerable.Range(0, Partitioner.Count).FirstOrDefault(p => PrimaryOfPartition(p) == primary, -1);
        RedisKey probe = partition >= 0 ? Tag(partition) + ":probe" : $"{Prefix}:probe";
        await Until(async () =>
        {
            try
            {
                return await Admin.GetDatabase().StringSetAsync(probe, "1", TimeSpan.FromSeconds(30)).WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return false;
            }
        }, bound, $"{primary} did not accept a write again");
    }

    /// <summary>Polls until Redis holds neither the order's claim nor any of its partition records (its TTL passed).</summary>
    public Task WaitUntilForgottenAsync(string orderId, IEnumerable<string> skus, TimeSpan bound)
    {
        var keys = skus.Select(s => RecordKey(Partitioner.PartitionOf(s), orderId)).Append(ClaimKey(orderId)).Distinct().ToList();
        var db = Admin.GetDatabase();
        return Until(async () =>
        {
            foreach (var key in keys)
            {
                if (await db.KeyExistsAsync(key))
                {
                    return false;
                }
            }

            return true;
        }, bound, $"Redis still remembers order {orderId}");
    }

    /// <summary>Polls until no multi-partition order is in flight in any home partition (attempts finished or rolled back).</summary>
    public Task WaitUntilNothingPendingAsync(TimeSpan bound)
    {
        var db = Admin.GetDatabase();
        return Until(async () =>
        {
            for (var home = 0; home < Partitioner.Count; home++)
            {
                if (await db.SortedSetLengthAsync(PendingKey(home)) > 0)
                {
                    return false;
                }
            }

            return true;
        }, bound, "multi-partition orders still pending");
    }

    public static async Task Until(Func<Task<bool>> condition, TimeSpan bound, string what)
    {
        var deadline = DateTime.UtcNow + bound;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} (waited {bound.TotalSeconds:0} s)");
            }

            await Task.Delay(100);
        }
    }

    public ValueTask DisposeAsync() => Admin.DisposeAsync();

    private sealed class Unpause(IServer server) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            // Also undoes a pause whose command was sent but whose answer was lost; retried in case the node is busy.
            for (var attempt = 0; attempt < 10; attempt++)
            {
                try
                {
                    await server.ExecuteAsync("CLIENT", "UNPAUSE");
                    return;
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    await Task.Delay(200);
                }
            }
        }
    }
}

/// <summary>HTTP shorthands for these tests.</summary>
internal static class ProtocolCalls
{
    public static bool Replayed(this HttpResponseMessage response) =>
        response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Single() == "true";

    public static async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> DeductAsync(this HttpClient client, string orderId, params (string Sku, long Quantity)[] lines) =>
        await client.PostAsync("api/deductions", HttpCalls.Order(orderId, lines));

    public static async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> CancelAsync(this HttpClient client, string orderId) =>
        await client.PostAsync($"api/deductions/{orderId}/cancel", new { });

    /// <summary>GET /api/deductions/{id}: its status, or "404".</summary>
    public static async Task<string> OrderStatusAsync(this HttpClient client, string orderId)
    {
        var (status, body) = await client.GetJsonAsync($"api/deductions/{orderId}");
        return status == HttpStatusCode.NotFound ? "404" : status != HttpStatusCode.OK ? $"http {(int)status}" : body!["status"]!.GetValue<string>();
    }

    /// <summary>PUT /api/stock/{sku} as admin, retried while a node is paused (503).</summary>
    public static async Task SetStockSettledAsync(this ServerProcess server, string sku, long available)
    {
        using var admin = server.CreateClient(ServerProcess.AdminKey);
        var answer = await SettledAsync(async () =>
        {
            var response = await admin.PutAsync($"api/stock/{sku}", HttpCalls.Json(new { available }));
            return (response.StatusCode, null, response);
        }, TimeSpan.FromSeconds(30));
        answer.Response.EnsureSuccessStatusCode();
    }

    /// <summary>Retries while the answer is 503 (another engineer may be pausing a node); returns the first other answer.</summary>
    public static async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SettledAsync(
        Func<Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)>> call, TimeSpan bound)
    {
        var deadline = DateTime.UtcNow + bound;
        while (true)
        {
            var answer = await call();
            if (answer.Status != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
            {
                return answer;
            }

            await Task.Delay(200);
        }
    }
}
