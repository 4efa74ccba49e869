using Inventory.Persistence;

namespace Inventory.Engine;

/// <summary>
/// Renews a claimed batch's leases every third of the lease while its work runs. If a renewal finds none of the
/// leases held any more, the work is cancelled: another worker owns those tasks, and every fenced write of ours
/// would be rejected anyway.
/// </summary>
internal sealed class LeaseKeeper : IAsyncDisposable
{
    private readonly ITaskStore _store;
    private readonly int _shard;
    private readonly Guid _token;
    private readonly TimeSpan _lease;
    private readonly HashSet<long> _held;
    private readonly CancellationTokenSource _work;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private LeaseKeeper(ITaskStore store, int shard, Guid token, IEnumerable<long> ids, TimeSpan lease, CancellationToken outer)
    {
        _store = store;
        _shard = shard;
        _token = token;
        _lease = lease;
        _held = [.. ids];
        _work = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _loop = Task.Run(RenewLoopAsync);
    }

    public CancellationToken Token => _work.Token;

    public bool Lost { get; private set; }

    public static LeaseKeeper Start(ITaskStore store, IReadOnlyList<ClaimedTask> batch, TimeSpan lease, CancellationToken outer) =>
        new(store, batch[0].Shard, batch[0].LeaseToken, batch.Select(t => t.Id), lease, outer);

    public void Release(IEnumerable<long> ids)
    {
        lock (_held)
        {
            _held.ExceptWith(ids);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _work.Dispose();
    }

    private async Task RenewLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            await Task.Delay(_lease / 3, _stop.Token).ConfigureAwait(false);
            long[] ids;
            lock (_held)
            {
                ids = [.. _held];
            }

            if (ids.Length == 0)
            {
                return;
            }

            int renewed;
            try
            {
                renewed = await _store.RenewAsync(_shard, ids, _token, _lease, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                // The database may be briefly away; the work's own fenced writes decide whether the lease survived.
                continue;
            }

            if (renewed == 0)
            {
                Lost = true;
                await _work.CancelAsync().ConfigureAwait(false);
                return;
            }
        }
    }
}
