using Inventory.Persistence;

namespace Inventory.Engine;

/// <summary>
/// Decides the children of one persisted journal page: one apply child per task shard that has SKUs in the page,
/// and one trim child. Stock is never merged here: apply children read each SKU's latest ledger row, whose
/// AvailableAfter is absolute, so merging any number of changes (sets included) is one guarded write per SKU.
/// </summary>
public sealed class ChildPlanner(TaskSharding sharding, int maxAttempts)
{
    public IReadOnlyList<(int Shard, NewTask Task)> Plan(ClaimedTask parent, int partition, IReadOnlyList<JournalEntry> page)
    {
        if (page.Count == 0)
        {
            return [];
        }

        var first = page[0].StreamId;
        var children = page
            .Select(e => e.Sku)
            .Distinct(StringComparer.Ordinal)
            .GroupBy(sharding.OfSku)
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, new NewTask(
                TaskKinds.Apply,
                DedupeKeys.Apply(partition, first, g.Key),
                new ApplyPayload(g.Order(StringComparer.Ordinal).ToArray()).ToJson(),
                maxAttempts,
                parent.Id,
                parent.Shard)))
            .ToList();

        var last = page[^1].StreamId;
        children.Add((parent.Shard, new NewTask(
            TaskKinds.Trim,
            DedupeKeys.Trim(partition, last),
            new TrimPayload(partition, last).ToJson(),
            maxAttempts,
            parent.Id,
            parent.Shard)));
        return children;
    }
}
