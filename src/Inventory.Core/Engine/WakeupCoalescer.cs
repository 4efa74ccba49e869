using Inventory.Persistence;

namespace Inventory.Engine;

/// <summary>
/// Turns accepted changes into at most one wakeup message per partition per flush. The write path calls
/// <see cref="Observe"/> with each journal id it got back; a short timer calls <see cref="FlushAsync"/>. A failed
/// send keeps the partition dirty for the next flush, and if the process dies first the journal sweep finds the entries.
/// </summary>
public sealed class WakeupCoalescer(IWakeupQueue queue)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, string> _observed = [];
    private readonly Dictionary<int, string> _sent = [];

    public void Observe(int partition, string streamId)
    {
        lock (_gate)
        {
            if (!_observed.TryGetValue(partition, out var current) || StreamIds.Compare(streamId, current) > 0)
            {
                _observed[partition] = streamId;
            }
        }
    }

    /// <returns>How many messages were sent.</returns>
    public async Task<int> FlushAsync(CancellationToken cancellationToken = default)
    {
        List<WakeupMessage> due;
        lock (_gate)
        {
            due = _observed
                .Where(o => !_sent.TryGetValue(o.Key, out var sent) || StreamIds.Compare(o.Value, sent) > 0)
                .Select(o => new WakeupMessage(o.Key, _sent.GetValueOrDefault(o.Key, "0"), o.Value))
                .ToList();
        }

        var count = 0;
        foreach (var message in due)
        {
            await queue.SendAsync(message, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (!_sent.TryGetValue(message.Partition, out var sent) || StreamIds.Compare(message.ThroughId!, sent) > 0)
                {
                    _sent[message.Partition] = message.ThroughId!;
                }
            }

            count++;
        }

        return count;
    }
}
