using System.Globalization;
using Inventory.Application;
using Inventory.Redis;
using Inventory.Telemetry;
using StackExchange.Redis;

namespace Inventory.Api.Hosting;

public sealed class RedisHealthOptions
{
    /// <summary>Used over maxmemory on any primary past which health says degraded (sales go on; act before it fills).</summary>
    public double MemoryDegradedRatio { get; set; } = 0.85;

    /// <summary>How long a refusal a request met keeps health unhealthy after it.</summary>
    public TimeSpan RefusalWindow { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Redis for GET /api/health, the one "redis" entry: reachable (ping), memory per primary (used / maxmemory:
/// degraded past <see cref="RedisHealthOptions.MemoryDegradedRatio"/>, unhealthy once full or once a request met an
/// outright refusal such as OOM or READONLY), lost partitions with the rebuild's progress (unhealthy until all
/// sell again), and with durable acknowledgements on, every primary has a replica to acknowledge (without one every
/// sale waits for WAIT 1 and answers 503 "unknown", so the service is down). Every part answers from one round trip
/// per node or from memory, all at once, so health answers at once even while a rebuild runs.
/// </summary>
public sealed class RedisHealth(
    RedisInventoryStore store, IConnectionMultiplexer redis, RedisPartitionGuard guard, RedisRebuildProgress rebuild, RedisHealthOptions options,
    RedisOptions redisOptions) : IHealthContributor
{
    public string Name => "redis";

    /// <summary>
    /// How long health waits for Redis. While a node restarts the client queues commands until it reconnects (up to
    /// the command timeout); health must answer within a second regardless, so it stops waiting sooner.
    /// </summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMilliseconds(600);

    public async Task<DependencyHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        DependencyHealth ping;
        IReadOnlyList<RedisNodeMemory> nodes;
        IReadOnlyList<int> unmarked;
        IReadOnlyList<string> bare;
        try
        {
            var pinged = store.CheckHealthAsync(cancellationToken);
            var memory = MemoryAsync();
            // Markers read here too, not only by the recovery loop: health must say "lost" the moment a node comes
            // back empty, not up to one check interval later.
            var markers = guard.FindUnmarkedAsync();
            var replicas = redisOptions.DurableAcknowledgements ? RedisReplicas.PrimariesWithoutReplicaAsync(redis) : Task.FromResult<IReadOnlyList<string>>([]);
            // One deadline for all of them: they run at once.
            await Task.WhenAll(pinged, memory, markers, replicas).WaitAsync(Patience, cancellationToken).ConfigureAwait(false);
            (ping, nodes, unmarked, bare) = (pinged.Result, memory.Result, markers.Result, replicas.Result);
        }
        catch (Exception e) when (RedisFailures.IsTransient(e))
        {
            return new DependencyHealth("redis", false, e.GetType().Name);
        }
        catch (TimeoutException)
        {
            return new DependencyHealth("redis", false, $"no answer within {Patience.TotalMilliseconds:0} ms", Data: new RedisHealthData([], rebuild.Snapshot().Closed, rebuild.Snapshot().Run, null));
        }

        if (!ping.Healthy)
        {
            return ping;
        }

        InventoryTelemetry.RecordRedisMemory(nodes.Where(n => n.MaxBytes > 0).Select(n => (n.Node, n.Ratio)).ToList());
        var snapshot = rebuild.Snapshot();
        snapshot = snapshot with { Closed = snapshot.Closed.Union(unmarked).Order().ToList() };
        var data = new RedisHealthData(nodes, snapshot.Closed, snapshot.Run, snapshot.Others.Count > 0 ? snapshot.Others : null);

        var problems = new List<string>();
        if (bare.Count > 0)
        {
            problems.Add("durable acknowledgements are on, but " + RedisReplicas.Explain(bare));
        }

        var full = nodes.Where(n => n.MaxBytes > 0 && n.UsedBytes >= n.MaxBytes && n.Policy == "noeviction").ToList();
        if (full.Count > 0)
        {
            problems.Add($"memory full on {string.Join(", ", full.Select(n => n.Node))}: writes refused (OOM)");
        }

        // NOSCRIPT is answered by the client itself (it resends the script); it says nothing about the node's health.
        if (store.Refusals.Since(options.RefusalWindow) is { } refused && refused.Refusal.Code != "NOSCRIPT")
        {
            problems.Add($"Redis refused writes {Math.Max(0, (DateTimeOffset.UtcNow - refused.At).TotalSeconds):0} s ago: {refused.Refusal.Code} ({refused.Refusal.Meaning})");
        }

        if (snapshot.Closed.Count > 0)
        {
            problems.Add($"partitions {string.Join(",", snapshot.Closed)} rebuilding from SQL" + (snapshot.Run is { } run
                ? $": rows {run.RowsDone}/{run.RowsTotal}, elapsed {run.ElapsedSeconds:0} s, estimate {(run.EstimateSeconds is { } e ? $"{e:0} s" : "unknown")}"
                : snapshot.Others.Count > 0 ? " by another instance" : ""));
        }

        if (problems.Count > 0)
        {
            return new DependencyHealth("redis", false, string.Join("; ", problems), Critical: true, Data: data);
        }

        var high = nodes.Where(n => n.MaxBytes > 0 && n.Ratio >= options.MemoryDegradedRatio).ToList();
        if (high.Count > 0)
        {
            return new DependencyHealth("redis", false,
                $"memory above {options.MemoryDegradedRatio:P0} on {string.Join(", ", high.Select(n => $"{n.Node} ({n.Ratio:P0})"))}; {ping.Detail}", Critical: false, Data: data);
        }

        return ping with { Data = data };
    }

    /// <summary>
    /// INFO memory of every connected primary. The client gates INFO behind admin mode, which this service does not
    /// enable; a read-only script asks for it instead, flagged allow-oom so a full node still answers.
    /// </summary>
    private const string InfoMemory = "#!lua flags=no-writes,allow-oom\nreturn redis.call('INFO', 'memory')";

    private async Task<IReadOnlyList<RedisNodeMemory>> MemoryAsync()
    {
        var primaries = redis.GetEndPoints().Select(e => redis.GetServer(e)).Where(s => s.IsConnected && !s.IsReplica).ToList();
        var infos = await Task.WhenAll(primaries.Select(async server =>
        {
            try
            {
                return (server, Info: (string?)await server.ExecuteAsync("EVAL", InfoMemory, 0).ConfigureAwait(false));
            }
            catch (Exception e) when (RedisFailures.IsTransient(e))
            {
                return (server, Info: null);
            }
        })).ConfigureAwait(false);
        return infos.Select(i => Parse(i.server.EndPoint.ToString() ?? "?", i.Info)).ToList();
    }

    internal static RedisNodeMemory Parse(string node, string? info)
    {
        var fields = (info ?? "").Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
        long Field(string name) => fields.TryGetValue(name, out var v) && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;
        var used = Field("used_memory");
        var max = Field("maxmemory");
        return new RedisNodeMemory(node, used, max, max > 0 ? Math.Round((double)used / max, 4) : 0, fields.GetValueOrDefault("maxmemory_policy", "?"));
    }
}

/// <param name="Ratio">UsedBytes / MaxBytes; 0 when no maxmemory is set (then the host's memory is the limit).</param>
public sealed record RedisNodeMemory(string Node, long UsedBytes, long MaxBytes, double Ratio, string Policy);

public sealed record RedisHealthData(
    IReadOnlyList<RedisNodeMemory> Nodes, IReadOnlyList<int> PartitionsRebuilding, RebuildRun? Rebuild, IReadOnlyDictionary<int, string>? RebuildingElsewhere);
