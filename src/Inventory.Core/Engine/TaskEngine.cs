using Inventory.Persistence;

namespace Inventory.Engine;

/// <summary>
/// The engine's handlers wired together over one store and one journal; DI registers the same objects, and tests
/// and the benchmark build it directly.
/// </summary>
public sealed class TaskEngine
{
    public TaskEngine(
        ITaskStore store,
        ILedgerReader ledger,
        IJournal journal,
        TaskEngineOptions options,
        IStockEventPublisher? publisher = null,
        TimeProvider? time = null,
        IPartitionBlocker? blocker = null)
    {
        options.Validate();
        Options = options;
        Sharding = new TaskSharding(store.ShardCount);
        var planner = new ChildPlanner(Sharding, options.MaxAttempts);
        Executor = new TaskExecutor(
            store,
            new PersistRunner(store, journal, planner, options, blocker),
            new ApplyRunner(store, options, publisher),
            new TrimRunner(store, journal),
            new RetryPolicy(options.RetryBaseDelay, options.RetryMaxDelay),
            options);
        Dispatcher = new TaskDispatcher(store, Executor, options);
        Wakeups = new WakeupHandler(store, journal, Sharding, Executor, Dispatcher, options);
        StaleLeases = new StaleLeaseSweeper(store, options);
        JournalSweep = new JournalSweeper(store, ledger, journal, Sharding, Dispatcher, options, time);
        Pruner = new TaskPruner(store, options);
        Operations = new TaskOperations(store, ledger, journal);
    }

    public TaskEngineOptions Options { get; }
    public TaskSharding Sharding { get; }
    public TaskExecutor Executor { get; }

    /// <summary>Queue trigger on <c>inventory-tasks</c>.</summary>
    public WakeupHandler Wakeups { get; }

    /// <summary>Timer: run due tasks, retries included.</summary>
    public TaskDispatcher Dispatcher { get; }

    /// <summary>Timer: unlock expired leases.</summary>
    public StaleLeaseSweeper StaleLeases { get; }

    /// <summary>Timer: persist journal entries no message covered.</summary>
    public JournalSweeper JournalSweep { get; }

    /// <summary>Timer: delete old done tasks.</summary>
    public TaskPruner Pruner { get; }

    /// <summary>Operator routes: stats, dead tasks, retry.</summary>
    public TaskOperations Operations { get; }
}
