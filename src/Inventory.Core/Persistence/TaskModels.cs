namespace Inventory.Persistence;

/// <summary>What a task does; see docs/task-engine.md.</summary>
public static class TaskKinds
{
    /// <summary>Parent: copies a partition's journal into the ledger and spawns the children below.</summary>
    public const string Persist = "persist";

    /// <summary>Child: sets SQL stock for a set of SKUs from their latest ledger rows.</summary>
    public const string Apply = "apply";

    /// <summary>Child: trims the Redis journal through what the ledger already holds.</summary>
    public const string Trim = "trim";
}

public static class TaskStatuses
{
    public const string Pending = "pending";
    public const string Running = "running";

    /// <summary>A parent whose own work committed and whose children have not all finished.</summary>
    public const string Waiting = "waiting";

    public const string Done = "done";
    public const string Dead = "dead";
}

/// <summary>A task to insert. The dedupe key is unique within its shard table, which is a function of the key's subject.</summary>
public sealed record NewTask(
    string Kind,
    string DedupeKey,
    string Payload,
    int MaxAttempts,
    long? ParentId = null,
    int? ParentShard = null);

/// <summary>Who takes a lease and for how long; expiry is computed with the database clock.</summary>
public sealed record LeaseRequest(string Owner, TimeSpan Duration);

/// <summary>A task this process holds a lease on. Every later transition must present <see cref="LeaseToken"/>.</summary>
public sealed record ClaimedTask
{
    public int Shard { get; init; }
    public long Id { get; init; }
    public string Kind { get; init; } = "";
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; }
    public long? ParentId { get; init; }
    public int? ParentShard { get; init; }
    public int PendingChildren { get; init; }
    public string DedupeKey { get; init; } = "";
    public string Payload { get; init; } = "";
    public Guid LeaseToken { get; init; }
}

/// <summary>A task row as operators see it. Times are UTC.</summary>
public sealed record TaskRecord
{
    public int Shard { get; init; }
    public long Id { get; init; }
    public string Kind { get; init; } = "";
    public string Status { get; init; } = "";
    public int Attempts { get; init; }
    public int MaxAttempts { get; init; }
    public DateTime NextRunAt { get; init; }
    public string? LeaseOwner { get; init; }
    public DateTime? LeaseExpiresAt { get; init; }
    public long? ParentId { get; init; }
    public int? ParentShard { get; init; }
    public int PendingChildren { get; init; }
    public string DedupeKey { get; init; } = "";
    public string Payload { get; init; } = "";
    public string? LastError { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ModifiedAt { get; init; }
}

/// <summary>How many tasks of one shard are in one status, and how old the oldest of them is (database clock).</summary>
public sealed record ShardBacklog(int Shard, string Status, long Count, double OldestAgeSeconds);

/// <summary>Thrown when a transition presented a lease token the row no longer carries: another worker owns the task now.</summary>
public sealed class LeaseLostException(string message) : Exception(message);
