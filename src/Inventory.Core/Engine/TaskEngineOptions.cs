namespace Inventory.Engine;

/// <summary>Bound from configuration section <c>Inventory:Engine</c>; the defaults keep the recovery bound under 60 s.</summary>
public sealed class TaskEngineOptions
{
    /// <summary>Renewed every third of itself while work runs; far below the Functions timeout.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    public int ClaimBatchSize { get; set; } = 32;

    /// <summary>Journal entries per persist transaction.</summary>
    public int JournalPageSize { get; set; } = 2000;

    /// <summary>Pages one persist run may commit before it ends; a longer backlog continues in the next run.</summary>
    public int MaxPagesPerRun { get; set; } = 100;

    public int MaxAttempts { get; set; } = 10;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The journal sweep leaves entries younger than this to the wakeup messages already on their way.</summary>
    public TimeSpan SweepGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one dispatch timer run may keep claiming.</summary>
    public TimeSpan DispatchBudget { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a wakeup handler keeps running the children it created before leaving the rest to the timer.</summary>
    public TimeSpan DrainBudget { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Shards worked on at once by one dispatch or drain.</summary>
    public int DispatchParallelism { get; set; } = 4;

    /// <summary>Done tasks are kept this long for operators, then pruned.</summary>
    public TimeSpan DoneRetention { get; set; } = TimeSpan.FromHours(1);

    public int PruneBatchSize { get; set; } = 1000;

    /// <summary>Prune batches per shard per run, so one timer run stays short.</summary>
    public int PruneBatchesPerRun { get; set; } = 10;

    public int UnlockBatchSize { get; set; } = 500;

    /// <summary>Written into lease_owner so operators can tell which process held a task.</summary>
    public string Owner { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    public TaskEngineOptions Validate()
    {
        if (Lease < TimeSpan.FromSeconds(3))
        {
            throw new ArgumentOutOfRangeException(nameof(Lease), Lease, "must be at least 3 seconds");
        }

        if (ClaimBatchSize < 1 || JournalPageSize < 1 || MaxPagesPerRun < 1 || MaxAttempts < 1 || DispatchParallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ClaimBatchSize), "batch sizes, pages, attempts and parallelism must be positive");
        }

        return this;
    }
}
