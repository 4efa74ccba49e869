using Inventory.Persistence;

namespace Inventory.Sql.Tests.Infrastructure;

internal static class Tasks
{
    public static readonly LeaseRequest Lease = new("test-worker", TimeSpan.FromSeconds(30));

    public static NewTask New(string key, int maxAttempts = 5, long? parentId = null, int? parentShard = null) =>
        new(TaskKinds.Trim, key, "{}", maxAttempts, parentId, parentShard);

    public static LeaseRequest LeaseFor(string owner) => new(owner, TimeSpan.FromSeconds(30));

    public static async Task<List<long>> InsertManyAsync(ITaskStore store, int shard, int count, string prefix = "t")
    {
        var ids = new List<long>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await store.InsertAsync(shard, New($"{prefix}:{i}")))!.Value);
        }

        return ids;
    }
}
