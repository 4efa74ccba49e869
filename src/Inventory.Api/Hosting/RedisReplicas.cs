using Inventory.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Inventory.Api.Hosting;

/// <summary>Which Redis primaries have no connected replica: durable acknowledgements (WAIT 1) cannot succeed on them.</summary>
public static class RedisReplicas
{
    public static async Task<IReadOnlyList<string>> PrimariesWithoutReplicaAsync(IConnectionMultiplexer redis)
    {
        var primaries = redis.GetServers().Where(s => s.IsConnected && !s.IsReplica).ToList();
        var counts = await Task.WhenAll(primaries.Select(ConnectedReplicasAsync)).ConfigureAwait(false);
        return primaries.Where((_, i) => counts[i] == 0).Select(s => s.EndPoint.ToString() ?? "?").ToList();
    }

    public static string Explain(IReadOnlyList<string> primaries) =>
        $"Redis primary {string.Join(", ", primaries)} has no connected replica, so WAIT 1 never succeeds and every sale answers 503 \"unknown\"";

    /// <summary>ROLE rather than INFO: INFO is an admin command to the client, and the multiplexer is not in admin mode.</summary>
    private static async Task<int> ConnectedReplicasAsync(IServer server) =>
        await server.RoleAsync().ConfigureAwait(false) is Role.Master primary ? primary.Replicas.Count : 0;
}

/// <summary>
/// Refuses to start when durable acknowledgements are on and a reachable Redis primary has no replica at all (a
/// standalone Redis, a tier without replicas): a configuration that can never acknowledge a sale must not come
/// up looking healthy. A replica lost later is reported by GET /api/health (redis unhealthy, with this reason).
/// Redis unreachable at start is not a refusal: the health route reports that too.
/// </summary>
public sealed partial class DurableAcknowledgementGuard(IConnectionMultiplexer redis, RedisOptions options, ILogger<DurableAcknowledgementGuard> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.DurableAcknowledgements)
        {
            return;
        }

        IReadOnlyList<string> bare;
        try
        {
            bare = await RedisReplicas.PrimariesWithoutReplicaAsync(redis).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e) || e is TimeoutException)
        {
            LogUnchecked(logger, e.Message);
            return;
        }

        if (bare.Count > 0)
        {
            throw new InvalidOperationException(
                $"Inventory:Redis:DurableAcknowledgements is true, but {RedisReplicas.Explain(bare)}. " +
                "Use a Redis with a replica per primary (e.g. the local cluster 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003) or set Inventory:Redis:DurableAcknowledgements=false.");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durable acknowledgements are on but Redis replicas could not be checked at start ({Reason}); GET /api/health reports them")]
    private static partial void LogUnchecked(ILogger logger, string reason);
}
