namespace Inventory.Persistence;

/// <summary>
/// Remembers, per partition, the newest journal entry this process appended and the newest it has announced,
/// so wake-ups can be sent in batches off the request path (one per partition per interval, never one per order).
/// </summary>
public sealed class JournalActivity
{
    private readonly object[] _locks;
    private readonly string?[] _appended;
    private readonly string?[] _announced;

    public JournalActivity(int partitions)
    {
        _locks = Enumerable.Range(0, partitions).Select(_ => new object()).ToArray();
        _appended = new string?[partitions];
        _announced = new string?[partitions];
    }

    public void Appended(int partition, string streamId)
    {
        lock (_locks[partition])
        {
            if (_appended[partition] is not { } latest || StreamIds.Compare(streamId, latest) > 0)
            {
                _appended[partition] = streamId;
            }
        }
    }

    /// <summary>Ranges appended since the last call: (partition, after this id or null for "unknown start", through this id).</summary>
    public IReadOnlyList<(int Partition, string? AfterId, string ThroughId)> TakeUnannounced()
    {
        var ranges = new List<(int, string?, string)>();
        for (var p = 0; p < _appended.Length; p++)
        {
            lock (_locks[p])
            {
                if (_appended[p] is { } through && _announced[p] != through)
                {
                    ranges.Add((p, _announced[p], through));
                    _announced[p] = through;
                }
            }
        }

        return ranges;
    }

    /// <summary>Puts ranges back when they could not be sent, so the next round retries them.</summary>
    public void Unannounce(int partition, string? afterId)
    {
        lock (_locks[partition])
        {
            _announced[partition] = afterId;
        }
    }
}
