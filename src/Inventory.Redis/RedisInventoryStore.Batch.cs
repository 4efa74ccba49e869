using Inventory.Domain;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Redis;

public sealed partial class RedisInventoryStore
{
    /// <summary>
    /// Orders per script call in a batch. A call runs its orders back to back and Redis serves nobody else meanwhile,
    /// so a call is bounded (a few hundred µs of Lua) rather than a whole batch of one partition.
    /// </summary>
    internal const int OrdersPerScript = 100;

    /// <summary>
    /// A batch costs a script run per partition, not per order: every order is claimed by one claim.lua call per home
    /// partition (all pipelined), then every order whose claim said go is deducted by one deduct.lua call per stock
    /// partition (all pipelined), each call deciding its orders one after another exactly as one call per order would.
    /// Whatever needs more (a rebind, SQL, a fence or a late deduction, a multi-partition commit or abort) continues
    /// per order as the single route does, so each order is answered as it would be alone.
    /// </summary>
    public async Task<IReadOnlyList<DeductionOutcome>> DeductManyAsync(IReadOnlyList<Order> orders, CancellationToken cancellationToken = default)
    {
        var claims = await ClaimAllAsync(orders).ConfigureAwait(false);
        var slots = await DeductAllAsync(orders, claims).ConfigureAwait(false);
        var outcomes = new Task<DeductionOutcome>[orders.Count];
        for (var i = 0; i < orders.Count; i++)
        {
            outcomes[i] = DurableAfterAsync(orders[i], FinishAsync(orders[i], claims[i], slots[i]));
        }

        return await Task.WhenAll(outcomes).ConfigureAwait(false);
    }

    private async Task<ClaimReply[]> ClaimAllAsync(IReadOnlyList<Order> orders)
    {
        var calls = new List<(Task<RedisResult> Sent, List<int> Members)>();
        var batch = Db.CreateBatch();
        foreach (var (home, members) in Chunks(GroupBy(orders.Count, i => _partitioner.HomeOf(orders[i].OrderId))))
        {
            var chunk = members.Select(i => orders[i]).ToList();
            calls.Add((Resending(SendClaims(batch, home, chunk, "new"), () => SendClaims(Db, home, chunk, "new")), members));
        }

        // StackExchange.Redis writes a batch per server in one go: every claim of the batch in one round trip.
        batch.Execute();
        var replies = new ClaimReply[orders.Count];
        foreach (var (sent, members) in calls)
        {
            for (var j = 0; j < members.Count; j++)
            {
                replies[members[j]] = await AwaitClaimAsync(sent, j).ConfigureAwait(false);
            }
        }

        return replies;
    }

    /// <summary>Per order, each of its partitions' replies (in <see cref="Order.Partitions"/>' order); null where the claim did not say go.</summary>
    private async Task<SlotReply[]?[]> DeductAllAsync(IReadOnlyList<Order> orders, ClaimReply[] claims)
    {
        var slots = new SlotReply[]?[orders.Count];
        var wanted = new List<(int Order, int Slot, int Partition)>();
        for (var i = 0; i < orders.Count; i++)
        {
            // The crash test's fault injection lives on the per-order path.
            if (claims[i].Status == ClaimStatus.Go && (orders[i].IsSinglePartition || !CrashAfterFirstPartition))
            {
                slots[i] = new SlotReply[orders[i].Partitions.Length];
                for (var k = 0; k < orders[i].Partitions.Length; k++)
                {
                    wanted.Add((i, k, orders[i].Partitions[k]));
                }
            }
        }

        var calls = new List<(Task<RedisResult> Sent, int Partition, List<int> Members)>();
        var batch = Db.CreateBatch();
        foreach (var (partition, members) in Chunks(GroupBy(wanted.Count, w => wanted[w].Partition)))
        {
            var chunk = members.Select(w =>
            {
                var order = orders[wanted[w].Order];
                return new Deduction(order, order.IsSinglePartition ? order.Lines : order.LinesIn(partition, _partitioner), claims[wanted[w].Order].Epoch);
            }).ToList();
            calls.Add((Resending(SendDeducts(batch, partition, chunk), () => SendDeducts(Db, partition, chunk)), partition, members));
        }

        batch.Execute();
        foreach (var (sent, partition, members) in calls)
        {
            for (var j = 0; j < members.Count; j++)
            {
                var reply = await AwaitSlotAsync(sent, j).ConfigureAwait(false);
                NoteAppended(partition, reply);
                var (order, slot, _) = wanted[members[j]];
                slots[order]![slot] = reply;
            }
        }

        return slots;
    }

    /// <summary>An order's answer from what the batch's calls decided, continuing per order where they did not.</summary>
    private async Task<DeductionOutcome> FinishAsync(Order order, ClaimReply claim, SlotReply[]? slots)
    {
        if (order.IsSinglePartition)
        {
            return slots is null ? await DeductSingleAsync(order, claim).ConfigureAwait(false)
                : await DecideSingleAsync(order, claim.Epoch, slots[0]).ConfigureAwait(false) ?? await DeductSingleAsync(order, null).ConfigureAwait(false);
        }

        return slots is null ? await DeductAcrossPartitionsAsync(order, claim).ConfigureAwait(false)
            : await DecideAcrossPartitionsAsync(order, claim.Epoch, order.Partitions.Zip(slots).ToList()).ConfigureAwait(false)
              ?? await DeductAcrossPartitionsAsync(order).ConfigureAwait(false);
    }

    /// <summary>Indices 0..count-1 by key, each group in ascending index order (so a call decides orders in request order).</summary>
    private static Dictionary<int, List<int>> GroupBy(int count, Func<int, int> key)
    {
        var groups = new Dictionary<int, List<int>>();
        for (var i = 0; i < count; i++)
        {
            var k = key(i);
            if (!groups.TryGetValue(k, out var members))
            {
                groups[k] = members = [];
            }

            members.Add(i);
        }

        return groups;
    }

    private static IEnumerable<(int Key, List<int> Members)> Chunks(Dictionary<int, List<int>> groups) =>
        groups.SelectMany(g => g.Value.Chunk(OrdersPerScript).Select(c => (g.Key, c.ToList())));
}
