namespace Inventory.Persistence;

/// <summary>
/// The sharded task tables (<c>task_00</c>…). Each method is one SQL statement outside any caller transaction;
/// work that must commit together goes through <see cref="BeginAsync"/>.
/// </summary>
public interface ITaskStore
{
    int ShardCount { get; }

    /// <summary>Inserts a task already leased to the caller; null when its dedupe key exists (a duplicate message).</summary>
    Task<ClaimedTask?> InsertClaimedAsync(int shard, NewTask task, LeaseRequest lease, CancellationToken cancellationToken = default);

    /// <summary>Inserts a pending task due now; null when its dedupe key exists.</summary>
    Task<long?> InsertAsync(int shard, NewTask task, CancellationToken cancellationToken = default);

    /// <summary>Leases up to <paramref name="max"/> due tasks of a shard in one statement, skipping rows other workers hold.</summary>
    Task<IReadOnlyList<ClaimedTask>> ClaimAsync(int shard, int max, LeaseRequest lease, CancellationToken cancellationToken = default);

    /// <summary>Extends the leases still held with <paramref name="token"/>; returns how many were.</summary>
    Task<int> RenewAsync(int shard, IReadOnlyCollection<long> ids, Guid token, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Gives the tasks back for a retry after <paramref name="retryDelay"/>, or marks them dead when out of attempts.
    /// Returns how many were still held with <paramref name="token"/>.</summary>
    Task<int> FailAsync(int shard, IReadOnlyCollection<long> ids, Guid token, TimeSpan retryDelay, string error, CancellationToken cancellationToken = default);

    /// <summary>Returns expired leases to pending (or dead) in one statement that re-checks expiry; returns how many.</summary>
    Task<int> UnlockStaleAsync(int shard, int max, CancellationToken cancellationToken = default);

    /// <summary>Deletes up to <paramref name="max"/> done tasks last modified longer ago than <paramref name="olderThan"/>.</summary>
    Task<int> PruneAsync(int shard, TimeSpan olderThan, int max, CancellationToken cancellationToken = default);

    /// <summary>Makes a dead task pending again with fresh attempts; false when no dead task has that id.</summary>
    Task<bool> RetryDeadAsync(long id, CancellationToken cancellationToken = default);

    Task<TaskRecord?> FindAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>The most recently dead tasks across all shards, newest first.</summary>
    Task<IReadOnlyList<TaskRecord>> ListDeadAsync(int limit, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ShardBacklog>> GetBacklogAsync(CancellationToken cancellationToken = default);

    Task<ITaskTransaction> BeginAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// One SQL transaction. Disposing without <see cref="CommitAsync"/> rolls back, which is what a lost lease or any
/// failure must do. Methods that fence on a lease throw <see cref="LeaseLostException"/> when the lease is gone.
/// </summary>
public interface ITaskTransaction : IAsyncDisposable
{
    /// <summary>Extends every listed lease, or throws <see cref="LeaseLostException"/> if any is no longer held.</summary>
    Task RenewAsync(int shard, IReadOnlyCollection<long> ids, Guid token, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Locks the partition's cursor row until commit (creating it at "0") and returns it.</summary>
    Task<string> LockCursorAsync(int partition, CancellationToken cancellationToken = default);

    Task AdvanceCursorAsync(int partition, string persistedThrough, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends the entries to the ledger; entries whose (sku, seq) is there already with the same content are skipped.
    /// If any is there with other content (a diverged history), nothing is inserted and those keys are returned.
    /// </summary>
    Task<LedgerInsertResult> InsertLedgerAsync(long taskId, IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Each SKU's latest ledger row (SKUs without rows are left out).</summary>
    Task<IReadOnlyList<LedgerPoint>> GetLatestLedgerAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken = default);

    /// <summary>Inserts a pending task due now; null when its dedupe key exists.</summary>
    Task<long?> InsertTaskAsync(int shard, NewTask task, CancellationToken cancellationToken = default);

    /// <summary>Adds to a held task's pending-children count (fenced).</summary>
    Task AddChildrenAsync(int shard, long id, Guid token, int count, CancellationToken cancellationToken = default);

    /// <summary>Finishes held tasks: done, or waiting while they have pending children (fenced).</summary>
    Task CompleteAsync(int shard, IReadOnlyCollection<long> ids, Guid token, CancellationToken cancellationToken = default);

    /// <summary>Counts finished children off their parent; a waiting parent whose count reaches zero is done.</summary>
    Task ChildrenDoneAsync(int parentShard, long parentId, int count, CancellationToken cancellationToken = default);

    /// <summary>Sets each SKU's stock to its latest ledger row unless stock already reflects that sequence or a later one.</summary>
    Task<int> ApplyStockAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StockRow>> GetStockAsync(IReadOnlyCollection<string> skus, CancellationToken cancellationToken = default);

    Task CommitAsync(CancellationToken cancellationToken = default);
}
