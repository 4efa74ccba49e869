using System.Collections.Concurrent;
using Inventory.Persistence;
using Inventory.Sql.Tests.Infrastructure;

namespace Inventory.Sql.Tests;

/// <summary>The task store's behaviour, specified once and run against every configured database.</summary>
public class TaskStoreContractTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Insert_claimed_leases_the_new_task_and_a_duplicate_key_inserts_nothing(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);

        var first = await db.Store.InsertClaimedAsync(2, Tasks.New("persist:1:5-0"), Tasks.Lease);
        var again = await db.Store.InsertClaimedAsync(2, Tasks.New("persist:1:5-0"), Tasks.Lease);

        Assert.NotNull(first);
        Assert.Null(again);
        Assert.Equal(2, first.Shard);
        Assert.Equal(1, first.Attempts);
        Assert.NotEqual(Guid.Empty, first.LeaseToken);
        var record = await db.Store.FindAsync(first.Id);
        Assert.Equal(TaskStatuses.Running, record!.Status);
        Assert.Equal("test-worker", record.LeaseOwner);
        Assert.Equal(1, await db.CountAsync("task_02"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Insert_is_deduplicated_by_key_whatever_the_status(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);

        var id = await db.Store.InsertAsync(0, Tasks.New("k"));
        var claimed = Assert.Single(await db.Store.ClaimAsync(0, 10, Tasks.Lease));
        await using (var tx = await db.Store.BeginAsync())
        {
            await tx.CompleteAsync(0, [claimed.Id], claimed.LeaseToken);
            await tx.CommitAsync();
        }

        Assert.NotNull(id);
        Assert.Null(await db.Store.InsertAsync(0, Tasks.New("k")));
        Assert.Equal(1, await db.CountAsync("task_00"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Claim_takes_due_tasks_oldest_first_in_batches_and_counts_attempts(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var ids = await Tasks.InsertManyAsync(db.Store, 1, 5);

        var first = await db.Store.ClaimAsync(1, 3, Tasks.Lease);
        var second = await db.Store.ClaimAsync(1, 3, Tasks.Lease);
        var third = await db.Store.ClaimAsync(1, 3, Tasks.Lease);

        Assert.Equal(ids.Take(3), first.Select(t => t.Id));
        Assert.Equal(ids.Skip(3), second.Select(t => t.Id));
        Assert.Empty(third);
        Assert.All(first.Concat(second), t => Assert.Equal(1, t.Attempts));
        Assert.Single(first.Select(t => t.LeaseToken).Distinct());
        Assert.NotEqual(first[0].LeaseToken, second[0].LeaseToken);
        Assert.Equal(5, await db.CountAsync("task_01", "status = 'running'"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Claim_skips_tasks_whose_retry_is_not_yet_due(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await Tasks.InsertManyAsync(db.Store, 0, 1);
        var claimed = Assert.Single(await db.Store.ClaimAsync(0, 1, Tasks.Lease));

        Assert.Equal(1, await db.Store.FailAsync(0, [claimed.Id], claimed.LeaseToken, TimeSpan.FromMinutes(1), "boom"));

        Assert.Empty(await db.Store.ClaimAsync(0, 10, Tasks.Lease));
        var record = await db.Store.FindAsync(claimed.Id);
        Assert.Equal(TaskStatuses.Pending, record!.Status);
        Assert.Equal("boom", record.LastError);
        Assert.Null(record.LeaseOwner);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Workers_racing_for_the_same_rows_never_claim_one_twice(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var ids = await Tasks.InsertManyAsync(db.Store, 3, 400);
        var claims = new ConcurrentBag<(string Worker, long Id)>();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            while (true)
            {
                var batch = await db.Store.ClaimAsync(3, 7, Tasks.LeaseFor($"w{w}"));
                if (batch.Count == 0)
                {
                    return;
                }

                foreach (var task in batch)
                {
                    claims.Add(($"w{w}", task.Id));
                }
            }
        })));

        Assert.Equal(ids.Count, claims.Count);
        Assert.Equal(ids.Order(), claims.Select(c => c.Id).Order());
        Assert.True(claims.Select(c => c.Worker).Distinct().Count() > 1, "the race needs more than one winner to mean anything");
        var owners = await db.QueryAsync<string>("SELECT lease_owner FROM task_03");
        Assert.Equal(claims.Select(c => c.Worker).Order(), owners.Order());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_lost_lease_rejects_every_late_write_of_its_former_holder(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await Tasks.InsertManyAsync(db.Store, 0, 1);
        var zombie = Assert.Single(await db.Store.ClaimAsync(0, 1, Tasks.LeaseFor("zombie")));
        await db.ExpireLeasesAsync(0);
        Assert.Equal(1, await db.Store.UnlockStaleAsync(0, 10));
        var successor = Assert.Single(await db.Store.ClaimAsync(0, 1, Tasks.LeaseFor("successor")));

        Assert.Equal(0, await db.Store.RenewAsync(0, [zombie.Id], zombie.LeaseToken, TimeSpan.FromMinutes(1)));
        Assert.Equal(0, await db.Store.FailAsync(0, [zombie.Id], zombie.LeaseToken, TimeSpan.Zero, "late"));
        await using (var tx = await db.Store.BeginAsync())
        {
            await Assert.ThrowsAsync<LeaseLostException>(() => tx.CompleteAsync(0, [zombie.Id], zombie.LeaseToken));
        }

        await using (var tx = await db.Store.BeginAsync())
        {
            await Assert.ThrowsAsync<LeaseLostException>(() => tx.AddChildrenAsync(0, zombie.Id, zombie.LeaseToken, 1));
        }

        var record = await db.Store.FindAsync(successor.Id);
        Assert.Equal(TaskStatuses.Running, record!.Status);
        Assert.Equal("successor", record.LeaseOwner);
        Assert.Equal(2, record.Attempts);
        Assert.Equal(0, record.PendingChildren);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_fenced_write_that_fails_rolls_back_everything_in_its_transaction(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await Tasks.InsertManyAsync(db.Store, 0, 1);
        var claimed = Assert.Single(await db.Store.ClaimAsync(0, 1, Tasks.Lease));
        var journal = new InMemoryJournal(4);
        var entries = Enumerable.Range(0, 10).Select(i => journal.Deduct($"o{i}", "sku-1", 1)).ToList();

        await using (var tx = await db.Store.BeginAsync())
        {
            Assert.Equal(10, (await tx.InsertLedgerAsync(claimed.Id, entries)).Inserted);
            await tx.InsertTaskAsync(1, Tasks.New("child"));
            await Assert.ThrowsAsync<LeaseLostException>(() => tx.CompleteAsync(0, [claimed.Id], Guid.NewGuid()));
        }

        Assert.Equal(0, await db.CountAsync("ledger"));
        Assert.Equal(0, await db.CountAsync("task_01"));
        Assert.Equal(TaskStatuses.Running, (await db.Store.FindAsync(claimed.Id))!.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Failures_retry_until_max_attempts_then_the_task_is_dead_until_an_operator_retries_it(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var id = (await db.Store.InsertAsync(2, Tasks.New("k", maxAttempts: 2)))!.Value;

        var first = Assert.Single(await db.Store.ClaimAsync(2, 1, Tasks.Lease));
        await db.Store.FailAsync(2, [id], first.LeaseToken, TimeSpan.Zero, "first");
        Assert.Equal(TaskStatuses.Pending, (await db.Store.FindAsync(id))!.Status);
        var second = Assert.Single(await db.Store.ClaimAsync(2, 1, Tasks.Lease));
        await db.Store.FailAsync(2, [id], second.LeaseToken, TimeSpan.Zero, "second");

        var dead = Assert.Single(await db.Store.ListDeadAsync(10));
        Assert.Equal((id, 2, "second", 2), (dead.Id, dead.Attempts, dead.LastError, dead.Shard));
        Assert.Empty(await db.Store.ClaimAsync(2, 1, Tasks.Lease));

        Assert.True(await db.Store.RetryDeadAsync(id));
        Assert.False(await db.Store.RetryDeadAsync(id));
        var third = Assert.Single(await db.Store.ClaimAsync(2, 1, Tasks.Lease));
        Assert.Equal(1, third.Attempts);
        Assert.Empty(await db.Store.ListDeadAsync(10));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Unlock_stale_frees_only_expired_leases_and_kills_tasks_out_of_attempts(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var expired = (await db.Store.InsertAsync(1, Tasks.New("a")))!.Value;
        var live = (await db.Store.InsertAsync(1, Tasks.New("b")))!.Value;
        var exhausted = (await db.Store.InsertAsync(1, Tasks.New("c", maxAttempts: 1)))!.Value;
        var claimed = await db.Store.ClaimAsync(1, 3, Tasks.LeaseFor("crashed"));
        Assert.Equal(3, claimed.Count);
        await db.ExpireLeasesAsync(1, expired);
        await db.ExpireLeasesAsync(1, exhausted);

        Assert.Equal(2, await db.Store.UnlockStaleAsync(1, 10));
        Assert.Equal(0, await db.Store.UnlockStaleAsync(1, 10));

        var freed = (await db.Store.FindAsync(expired))!;
        Assert.Equal(TaskStatuses.Pending, freed.Status);
        Assert.Equal("lease of crashed expired", freed.LastError);
        Assert.Null(freed.LeaseOwner);
        Assert.Equal(TaskStatuses.Running, (await db.Store.FindAsync(live))!.Status);
        Assert.Equal(TaskStatuses.Dead, (await db.Store.FindAsync(exhausted))!.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_stale_lease_sweep_skips_a_task_whose_completion_is_in_flight_and_the_late_completion_of_a_swept_task_fails(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await Tasks.InsertManyAsync(db.Store, 0, 2);
        var claimed = await db.Store.ClaimAsync(0, 2, Tasks.Lease);
        await db.ExpireLeasesAsync(0);

        // Completion first, still uncommitted: the sweep must pass over the row, not wait for it or overwrite it.
        await using (var completing = await db.Store.BeginAsync())
        {
            await completing.CompleteAsync(0, [claimed[0].Id], claimed[0].LeaseToken);
            Assert.Equal(1, await db.Store.UnlockStaleAsync(0, 10));
            await completing.CommitAsync();
        }

        Assert.Equal(0, await db.Store.UnlockStaleAsync(0, 10));
        Assert.Equal(TaskStatuses.Done, (await db.Store.FindAsync(claimed[0].Id))!.Status);

        // Sweep first: the completion that arrives afterwards finds its lease gone.
        await using (var late = await db.Store.BeginAsync())
        {
            await Assert.ThrowsAsync<LeaseLostException>(() => late.CompleteAsync(0, [claimed[1].Id], claimed[1].LeaseToken));
        }

        Assert.Equal(TaskStatuses.Pending, (await db.Store.FindAsync(claimed[1].Id))!.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_stale_lease_sweep_racing_completions_never_overwrites_a_finished_task(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        const int count = 100;
        await Tasks.InsertManyAsync(db.Store, 0, count);
        var claimed = await db.Store.ClaimAsync(0, count, Tasks.Lease);
        await db.ExpireLeasesAsync(0);
        var completed = new ConcurrentBag<long>();
        var lost = new ConcurrentBag<long>();

        // Each round starts one completion and one single-row sweep together; whichever wins, the other must lose cleanly.
        foreach (var task in claimed)
        {
            var complete = Task.Run(async () =>
            {
                await using var tx = await db.Store.BeginAsync();
                try
                {
                    await tx.CompleteAsync(0, [task.Id], task.LeaseToken);
                    await tx.CommitAsync();
                    completed.Add(task.Id);
                }
                catch (LeaseLostException)
                {
                    lost.Add(task.Id);
                }
            });
            await Task.WhenAll(complete, Task.Run(() => db.Store.UnlockStaleAsync(0, 1)));
        }

        var statuses = (await db.AllTasksAsync()).ToDictionary(t => t.Id, t => t.Status);
        Assert.Equal(count, completed.Count + lost.Count);
        Assert.All(completed, id => Assert.Equal(TaskStatuses.Done, statuses[id]));
        Assert.All(lost, id => Assert.Equal(TaskStatuses.Pending, statuses[id]));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Renew_extends_only_the_leases_still_held_with_the_token(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await Tasks.InsertManyAsync(db.Store, 0, 3);
        var batch = await db.Store.ClaimAsync(0, 3, Tasks.Lease);
        var ids = batch.Select(t => t.Id).ToArray();
        await db.ExpireLeasesAsync(0, ids[0]);
        await db.Store.UnlockStaleAsync(0, 10);

        Assert.Equal(2, await db.Store.RenewAsync(0, ids, batch[0].LeaseToken, TimeSpan.FromMinutes(5)));
        Assert.Equal(0, await db.Store.RenewAsync(0, ids, Guid.NewGuid(), TimeSpan.FromMinutes(5)));

        var renewed = (await db.Store.FindAsync(ids[1]))!;
        Assert.True(renewed.LeaseExpiresAt > DateTime.UtcNow.AddMinutes(4), $"lease expires at {renewed.LeaseExpiresAt:O}");
        await using var tx = await db.Store.BeginAsync();
        await Assert.ThrowsAsync<LeaseLostException>(() => tx.RenewAsync(0, ids, batch[0].LeaseToken, TimeSpan.FromMinutes(1)));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_parent_waits_for_its_children_and_the_last_child_finishes_it(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var parent = (await db.Store.InsertClaimedAsync(0, Tasks.New("parent"), Tasks.Lease))!;
        await using (var tx = await db.Store.BeginAsync())
        {
            await tx.InsertTaskAsync(1, Tasks.New("c1", parentId: parent.Id, parentShard: 0));
            await tx.InsertTaskAsync(2, Tasks.New("c2", parentId: parent.Id, parentShard: 0));
            await tx.AddChildrenAsync(0, parent.Id, parent.LeaseToken, 2);
            await tx.CompleteAsync(0, [parent.Id], parent.LeaseToken);
            await tx.CommitAsync();
        }

        Assert.Equal((TaskStatuses.Waiting, 2), await StateAsync(db, parent.Id));
        await FinishChildAsync(db, 1);
        Assert.Equal((TaskStatuses.Waiting, 1), await StateAsync(db, parent.Id));
        await FinishChildAsync(db, 2);
        Assert.Equal((TaskStatuses.Done, 0), await StateAsync(db, parent.Id));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Children_finishing_before_their_parent_leave_the_parent_to_complete_itself(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var parent = (await db.Store.InsertClaimedAsync(0, Tasks.New("parent"), Tasks.Lease))!;
        await using (var tx = await db.Store.BeginAsync())
        {
            await tx.InsertTaskAsync(1, Tasks.New("c1", parentId: parent.Id, parentShard: 0));
            await tx.AddChildrenAsync(0, parent.Id, parent.LeaseToken, 1);
            await tx.CommitAsync();
        }

        await FinishChildAsync(db, 1);
        Assert.Equal((TaskStatuses.Running, 0), await StateAsync(db, parent.Id));

        await using (var tx = await db.Store.BeginAsync())
        {
            await tx.CompleteAsync(0, [parent.Id], parent.LeaseToken);
            await tx.CommitAsync();
        }

        Assert.Equal((TaskStatuses.Done, 0), await StateAsync(db, parent.Id));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Prune_deletes_done_tasks_past_retention_in_bounded_batches(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await Tasks.InsertManyAsync(db.Store, 0, 7);
        var batch = await db.Store.ClaimAsync(0, 5, Tasks.Lease);
        await using (var tx = await db.Store.BeginAsync())
        {
            await tx.CompleteAsync(0, batch.Select(t => t.Id).ToArray(), batch[0].LeaseToken);
            await tx.CommitAsync();
        }

        Assert.Equal(0, await db.Store.PruneAsync(0, TimeSpan.FromHours(1), 100));
        await db.AgeDoneTasksAsync(0, 7200);

        Assert.Equal(3, await db.Store.PruneAsync(0, TimeSpan.FromHours(1), 3));
        Assert.Equal(2, await db.Store.PruneAsync(0, TimeSpan.FromHours(1), 3));
        Assert.Equal(0, await db.Store.PruneAsync(0, TimeSpan.FromHours(1), 3));
        Assert.Equal(2, await db.CountAsync("task_00", "status = 'pending'"));
        Assert.Equal(0, await db.CountAsync("task_00", "status = 'done'"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Backlog_counts_tasks_per_shard_and_status(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await Tasks.InsertManyAsync(db.Store, 0, 3, "a");
        await Tasks.InsertManyAsync(db.Store, 3, 2, "b");
        await db.Store.ClaimAsync(3, 1, Tasks.Lease);

        var backlog = await db.Store.GetBacklogAsync();

        Assert.Equal(
            [(0, TaskStatuses.Pending, 3L), (3, TaskStatuses.Pending, 1L), (3, TaskStatuses.Running, 1L)],
            backlog.Select(b => (b.Shard, b.Status, b.Count)));
        Assert.All(backlog, b => Assert.InRange(b.OldestAgeSeconds, 0, 60));
    }

    private static async Task<(string Status, int PendingChildren)> StateAsync(TestDatabase db, long id)
    {
        var record = (await db.Store.FindAsync(id))!;
        return (record.Status, record.PendingChildren);
    }

    private static async Task FinishChildAsync(TestDatabase db, int shard)
    {
        var child = Assert.Single(await db.Store.ClaimAsync(shard, 10, Tasks.Lease));
        await using var tx = await db.Store.BeginAsync();
        await tx.CompleteAsync(shard, [child.Id], child.LeaseToken);
        await tx.ChildrenDoneAsync(child.ParentShard!.Value, child.ParentId!.Value, 1);
        await tx.CommitAsync();
    }
}
