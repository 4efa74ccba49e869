using Inventory.Domain;

namespace Inventory.Persistence;

/// <summary>
/// A journal held in process memory that writes entries the way the Redis scripts do: per-partition increasing
/// stream ids, a per-SKU sequence, and the stock right after each change. Engine tests and the persistence
/// benchmark drain it; it is not durable and not for production.
/// </summary>
public sealed class InMemoryJournal : IJournal
{
    private readonly Lock _gate = new();
    private readonly Partitioner _partitioner;
    private readonly List<JournalEntry>[] _partitions;
    private readonly (long Ms, long Seq)[] _lastIds;
    private readonly Dictionary<string, (long Seq, long Available)> _skus = new(StringComparer.Ordinal);
    private readonly List<JournalEntry> _history = [];

    public InMemoryJournal(int partitionCount)
    {
        _partitioner = new Partitioner(partitionCount);
        _partitions = Enumerable.Range(0, partitionCount).Select(_ => new List<JournalEntry>()).ToArray();
        _lastIds = new (long, long)[partitionCount];
    }

    public int PartitionCount => _partitions.Length;

    public Partitioner Partitioner => _partitioner;

    /// <summary>Stock that existed before the journal began (sequence 0), as a catalogue import would leave it.</summary>
    public void Seed(string sku, long available)
    {
        lock (_gate)
        {
            _skus[sku] = (0, available);
        }
    }

    public JournalEntry Deduct(string orderId, string sku, long quantity) => Append(ChangeKinds.Deduct, orderId, sku, _ => -quantity, null);

    public JournalEntry Cancel(string orderId, string sku, long quantity) => Append(ChangeKinds.Cancel, orderId, sku, _ => quantity, null);

    public JournalEntry Void(string orderId, string sku, long quantity) => Append(ChangeKinds.Void, orderId, sku, _ => quantity, null);

    public JournalEntry Set(string sku, long available) => Append(ChangeKinds.Set, "", sku, current => available - current, null);

    public JournalEntry Adjust(string adjustmentId, string sku, long delta, string reason) => Append(ChangeKinds.Adjust, adjustmentId, sku, _ => delta, reason);

    public JournalEntry Hold(string reservationId, string sku, long quantity) => Append(ChangeKinds.Hold, reservationId, sku, _ => -quantity, null);

    /// <summary>As hold_commit.lua journals it: delta 0 under the order id, the reservation id as the reason.</summary>
    public JournalEntry CommitHold(string orderId, string reservationId, string sku) => Append(ChangeKinds.Commit, orderId, sku, _ => 0, reservationId);

    public JournalEntry Release(string reservationId, string sku, long quantity, bool expired = false) =>
        Append(expired ? ChangeKinds.Expire : ChangeKinds.Release, reservationId, sku, _ => quantity, null);

    /// <summary>Every entry ever appended, trimmed or not, in append order.</summary>
    public IReadOnlyList<JournalEntry> History
    {
        get
        {
            lock (_gate)
            {
                return _history.ToArray();
            }
        }
    }

    /// <summary>What Redis would answer for the SKU's stock now.</summary>
    public long AvailableOf(string sku)
    {
        lock (_gate)
        {
            return _skus.TryGetValue(sku, out var state) ? state.Available : 0;
        }
    }

    public IReadOnlyDictionary<string, long> Stock
    {
        get
        {
            lock (_gate)
            {
                return _skus.ToDictionary(p => p.Key, p => p.Value.Available, StringComparer.Ordinal);
            }
        }
    }

    public Task<IReadOnlyList<JournalEntry>> ReadAsync(int partition, string afterId, int maxCount, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var entries = _partitions[partition];
            var start = FirstAfter(entries, afterId);
            var count = Math.Min(maxCount, entries.Count - start);
            return Task.FromResult<IReadOnlyList<JournalEntry>>(entries.GetRange(start, count));
        }
    }

    public Task<long> TrimAsync(int partition, string throughId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var entries = _partitions[partition];
            var removed = FirstAfter(entries, throughId);
            entries.RemoveRange(0, removed);
            return Task.FromResult((long)removed);
        }
    }

    public Task<long> LengthAsync(int partition, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult((long)_partitions[partition].Count);
        }
    }

    private JournalEntry Append(string kind, string referenceId, string sku, Func<long, long> deltaFrom, string? reason)
    {
        lock (_gate)
        {
            var partition = _partitioner.PartitionOf(sku);
            _skus.TryGetValue(sku, out var state);
            var delta = deltaFrom(state.Available);
            state = (state.Seq + 1, state.Available + delta);
            _skus[sku] = state;

            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var last = _lastIds[partition];
            var id = now > last.Ms ? (now, 0L) : (last.Ms, last.Seq + 1);
            _lastIds[partition] = id;

            var entry = new JournalEntry(partition, $"{id.Item1}-{id.Item2}", kind, referenceId, sku, delta, state.Seq, state.Available, now, reason);
            _partitions[partition].Add(entry);
            _history.Add(entry);
            return entry;
        }
    }

    private static int FirstAfter(List<JournalEntry> entries, string afterId)
    {
        int low = 0, high = entries.Count;
        while (low < high)
        {
            var mid = (low + high) / 2;
            if (StreamIds.Compare(entries[mid].StreamId, afterId) <= 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }
}
