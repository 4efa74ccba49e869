namespace Inventory.Api.Queues;

public static class QueueNames
{
    public const string Tasks = "inventory-tasks";
    public const string TasksPoison = "inventory-tasks-poison";
    public const string Events = "inventory-events";
}

public sealed class WakeupOptions
{
    /// <summary>How often accepted changes are announced: at most one message per partition per interval.</summary>
    public int IntervalMilliseconds { get; set; } = 200;
}
