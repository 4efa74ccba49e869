using Inventory.Persistence;

namespace Inventory.Sql.Tests.Infrastructure;

/// <summary>Mixed accepted changes as the Redis scripts would journal them: deductions, cancels, sets, adjustments.</summary>
internal static class Workload
{
    public static void Append(InMemoryJournal journal, int count, int skus, int seed, string prefix = "o")
    {
        var random = new Random(seed);
        for (var i = 0; i < skus; i++)
        {
            journal.Set($"sku-{i:000}", 1_000_000);
        }

        var open = new List<(string Order, string Sku, long Quantity)>();
        for (var i = 0; i < count; i++)
        {
            var sku = $"sku-{random.Next(skus):000}";
            switch (random.Next(20))
            {
                case 0 when open.Count > 0:
                    var cancel = open[random.Next(open.Count)];
                    open.Remove(cancel);
                    journal.Cancel(cancel.Order, cancel.Sku, cancel.Quantity);
                    break;
                case 1:
                    journal.Set(sku, random.Next(500_000, 1_000_000));
                    break;
                case 2:
                    journal.Adjust($"adj-{prefix}-{i}", sku, random.Next(-5, 6), "cycle count");
                    break;
                default:
                    var quantity = random.Next(1, 4);
                    journal.Deduct($"{prefix}-{i}", sku, quantity);
                    open.Add(($"{prefix}-{i}", sku, quantity));
                    break;
            }
        }
    }
}
