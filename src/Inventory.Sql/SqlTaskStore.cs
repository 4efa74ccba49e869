using Dapper;
using Inventory.Persistence;
using static Inventory.Sql.SqlParameters;

namespace Inventory.Sql;

/// <summary><see cref="ITaskStore"/> over the task_NN tables of either dialect.</summary>
public sealed class SqlTaskStore(SqlDatabase database) : ITaskStore
{
    private SqlStatements Sql => database.Statements;

    public int ShardCount => database.Options.TaskShards;

    public async Task<ClaimedTask?> InsertClaimedAsync(int shard, NewTask task, LeaseRequest lease, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var claimed = await connection.QuerySingleOrDefaultAsync<ClaimedTask>(database.Command(
            Sql.ForShard(Statements.TaskInsertClaimed, CheckShard(shard)),
            new
            {
                kind = Ansi(task.Kind),
                max_attempts = task.MaxAttempts,
                owner = lease.Owner,
                token = Guid.NewGuid(),
                lease_ms = Milliseconds(lease.Duration),
                parent_id = task.ParentId,
                parent_shard = task.ParentShard,
                dedupe_key = Ansi(task.DedupeKey),
                payload = task.Payload,
            },
            null,
            cancellationToken)).ConfigureAwait(false);
        return claimed is null ? null : claimed with { Shard = shard };
    }

    public async Task<long?> InsertAsync(int shard, NewTask task, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await InsertTaskAsync(database, connection, null, CheckShard(shard), task, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ClaimedTask>> ClaimAsync(int shard, int max, LeaseRequest lease, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var token = Guid.NewGuid();
        var rows = await connection.QueryAsync<ClaimedTask>(database.Command(
            Sql.ForShard(Statements.TaskClaim, CheckShard(shard)),
            new { batch = max, owner = lease.Owner, token, lease_ms = Milliseconds(lease.Duration) },
            null,
            cancellationToken)).ConfigureAwait(false);
        return rows.Select(r => r with { Shard = shard }).OrderBy(r => r.Id).ToList();
    }

    public async Task<int> RenewAsync(int shard, IReadOnlyCollection<long> ids, Guid token, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await RenewAsync(database, connection, null, shard, ids, token, lease, cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> FailAsync(int shard, IReadOnlyCollection<long> ids, Guid token, TimeSpan retryDelay, string error, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(database.Command(
            Sql.ForShard(Statements.TaskFail, CheckShard(shard)),
            new { ids = Ids(ids), token, delay_ms = Milliseconds(retryDelay), error },
            null,
            cancellationToken)).ConfigureAwait(false);
    }

    public async Task<int> UnlockStaleAsync(int shard, int max, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(database.Command(
            Sql.ForShard(Statements.TaskUnlockStale, CheckShard(shard)), new { batch = max }, null, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<int> PruneAsync(int shard, TimeSpan olderThan, int max, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteAsync(database.Command(
            Sql.ForShard(Statements.TaskPrune, CheckShard(shard)),
            new { batch = max, older_than_seconds = (int)Math.Clamp(olderThan.TotalSeconds, 0, int.MaxValue) },
            null,
            cancellationToken)).ConfigureAwait(false);
    }

    public async Task<bool> RetryDeadAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        for (var shard = 0; shard < ShardCount; shard++)
        {
            var retried = await connection.ExecuteAsync(database.Command(
                Sql.ForShard(Statements.TaskRetryDead, shard), new { id }, null, cancellationToken)).ConfigureAwait(false);
            if (retried > 0)
            {
                return true;
            }
        }

        return false;
    }

    public async Task<TaskRecord?> FindAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        for (var shard = 0; shard < ShardCount; shard++)
        {
            var found = await connection.QuerySingleOrDefaultAsync<TaskRecord>(database.Command(
                Sql.ForShard(Statements.TaskFind, shard), new { id }, null, cancellationToken)).ConfigureAwait(false);
            if (found is not null)
            {
                return found with { Shard = shard };
            }
        }

        return null;
    }

    public async Task<IReadOnlyList<TaskRecord>> ListDeadAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var dead = new List<TaskRecord>();
        for (var shard = 0; shard < ShardCount; shard++)
        {
            var rows = await connection.QueryAsync<TaskRecord>(database.Command(
                Sql.ForShard(Statements.TaskDead, shard), new { limit }, null, cancellationToken)).ConfigureAwait(false);
            dead.AddRange(rows.Select(r => r with { Shard = shard }));
        }

        return dead.OrderByDescending(t => t.ModifiedAt).Take(limit).ToList();
    }

    public async Task<IReadOnlyList<ShardBacklog>> GetBacklogAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var backlog = new List<ShardBacklog>();
        for (var shard = 0; shard < ShardCount; shard++)
        {
            var rows = await connection.QueryAsync<StatsRow>(database.Command(
                Sql.ForShard(Statements.TaskStats, shard), null, null, cancellationToken)).ConfigureAwait(false);
            backlog.AddRange(rows.Select(r => new ShardBacklog(shard, r.Status, r.TaskCount, r.OldestAgeSeconds)));
        }

        return backlog.OrderBy(b => b.Shard).ThenBy(b => b.Status, StringComparer.Ordinal).ToList();
    }

    public async Task<ITaskTransaction> BeginAsync(CancellationToken cancellationToken = default) =>
        await SqlTaskTransaction.BeginAsync(database, cancellationToken).ConfigureAwait(false);

    internal static async Task<long?> InsertTaskAsync(
        SqlDatabase database, System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction,
        int shard, NewTask task, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<long?>(database.Command(
            database.Statements.ForShard(Statements.TaskInsert, shard),
            new
            {
                kind = Ansi(task.Kind),
                max_attempts = task.MaxAttempts,
                parent_id = task.ParentId,
                parent_shard = task.ParentShard,
                dedupe_key = Ansi(task.DedupeKey),
                payload = task.Payload,
            },
            transaction,
            cancellationToken)).ConfigureAwait(false);

    internal static Task<int> RenewAsync(
        SqlDatabase database, System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction,
        int shard, IReadOnlyCollection<long> ids, Guid token, TimeSpan lease, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(database.Command(
            database.Statements.ForShard(Statements.TaskRenew, shard),
            new { ids = Ids(ids), token, lease_ms = Milliseconds(lease) },
            transaction,
            cancellationToken));

    private int CheckShard(int shard)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, ShardCount);
        return shard;
    }

    private sealed class StatsRow
    {
        public string Status { get; init; } = "";
        public long TaskCount { get; init; }
        public double OldestAgeSeconds { get; init; }
    }
}
