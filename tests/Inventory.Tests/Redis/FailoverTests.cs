using Inventory.Domain;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Redis;

/// <summary>
/// A coordinated cluster failover (CLUSTER FAILOVER on a replica) under load loses and doubles nothing. The cluster
/// keeps the new topology; the other tests find primaries from the cluster map, not by port.
/// </summary>
public class FailoverTests
{
    [Fact]
    public async Task Deductions_through_a_coordinated_failover_are_counted_exactly()
    {
        await using var redis = RedisTarget.Create("cluster");
        const string sku = "failover-sku";
        await redis.SetStockAsync(sku, 1_000_000);
        var partition = redis.Partitioner.PartitionOf(sku);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.RedisCluster + ",allowAdmin=true");
        var primary = redis.ServerOf(partition);
        var replica = ReplicaOf(admin, primary);

        using var stop = new CancellationTokenSource();
        var accepted = 0;
        var unresolved = 0;
        var next = 0;
        var load = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var id = $"fo-{Interlocked.Increment(ref next)}";
                var order = redis.NewOrder(id, (sku, 1));
                // A checkout frontend retries an unknown outcome with the same id until it gets an answer.
                for (var attempt = 0; attempt < 50; attempt++)
                {
                    var outcome = await redis.Store.DeductAsync(order);
                    if (outcome.Status == DeductionStatus.Deducted)
                    {
                        Interlocked.Increment(ref accepted);
                        break;
                    }

                    if (attempt == 49)
                    {
                        Interlocked.Increment(ref unresolved);
                    }

                    await Task.Delay(100);
                }
            }
        })).ToList();

        await Task.Delay(1000);
        await FailoverAsync(admin, replica);
        await Task.Delay(2000);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.Equal(0, unresolved);
        Assert.True(accepted > 100, $"only {accepted} orders were accepted");
        Assert.Equal(1_000_000 - accepted, await redis.AvailableAsync(sku));
        var journal = await redis.Journal.ReadAsync(partition, "0", 1_000_000);
        Assert.Equal(accepted, journal.Count(e => e.Sku == sku && e.Kind == "deduct"));
    }

    internal static string ReplicaOf(IConnectionMultiplexer admin, string primary)
    {
        var nodes = admin.GetServer(primary).ClusterNodes()!;
        var primaryNode = nodes.Nodes.Single(n => n.EndPoint!.ToString() == primary);
        return nodes.Nodes.First(n => n.IsReplica && n.ParentNodeId == primaryNode.NodeId).EndPoint!.ToString()!;
    }

    /// <summary>Promotes <paramref name="replica"/>, asking again if a manual failover times out, until it is a primary.</summary>
    internal static async Task FailoverAsync(IConnectionMultiplexer admin, string replica)
    {
        var server = admin.GetServer(replica);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            await server.ExecuteAsync("CLUSTER", "FAILOVER");
            var deadline = DateTime.UtcNow.AddSeconds(8);
            while (DateTime.UtcNow < deadline)
            {
                if ((string?)((RedisResult[])(await server.ExecuteAsync("ROLE"))!)[0] == "master")
                {
                    return;
                }

                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"{replica} did not become a primary.");
    }
}
