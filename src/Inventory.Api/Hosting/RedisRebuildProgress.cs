namespace Inventory.Api.Hosting;

/// <summary>
/// What health says about lost partitions: which are closed, which this instance rebuilds and how far, which
/// another instance rebuilds (from the progress it publishes on its lock). Written by <see cref="RedisRecovery"/>,
/// read by every health request, so it is a snapshot swapped whole and never a Redis or SQL call.
/// </summary>
public sealed class RedisRebuildProgress(TimeProvider time)
{
    private readonly object _gate = new();
    private IReadOnlyList<int> _closed = [];
    private IReadOnlyDictionary<int, string> _others = new Dictionary<int, string>();
    private Run? _run;
    private bool _observed;

    private sealed class Run
    {
        public required DateTimeOffset Started { get; init; }
        public required List<int> Partitions { get; init; }
        public List<int> Done { get; } = [];
        public string Phase { get; set; } = "starting";
        public int? Current { get; set; }
        public long RowsDone { get; set; }
        public long RowsTotal { get; set; }
    }

    /// <summary>The latest check: partitions without a marker and the ones other instances hold the lock of.</summary>
    public void Observed(IReadOnlyList<int> closed, IReadOnlyDictionary<int, string> others)
    {
        lock (_gate)
        {
            _closed = closed;
            _others = others;
            _observed = true;
        }
    }

    public void Started(IReadOnlyList<int> partitions, long rowsTotal)
    {
        lock (_gate)
        {
            _run = new Run { Started = time.GetUtcNow(), Partitions = [.. partitions], RowsTotal = rowsTotal };
        }
    }

    public void Phase(string phase, int? partition = null)
    {
        lock (_gate)
        {
            if (_run is { } run)
            {
                run.Phase = phase;
                run.Current = partition;
            }
        }
    }

    public void Rows(long read)
    {
        lock (_gate)
        {
            if (_run is { } run)
            {
                run.RowsDone += read;
            }
        }
    }

    public void PartitionDone(int partition)
    {
        lock (_gate)
        {
            _run?.Done.Add(partition);
            _closed = _closed.Where(p => p != partition).ToList();
        }
    }

    public void Finished()
    {
        lock (_gate)
        {
            _run = null;
        }
    }

    public RebuildSnapshot Snapshot()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            RebuildRun? run = null;
            if (_run is { } r)
            {
                var elapsed = now - r.Started;
                // Rows read so far against rows known: a linear estimate, good enough to tell minutes from seconds.
                double? estimate = r.RowsDone > 0 && r.RowsTotal > r.RowsDone
                    ? elapsed.TotalSeconds * (r.RowsTotal - r.RowsDone) / r.RowsDone
                    : r.RowsTotal <= r.RowsDone && r.RowsDone > 0 ? 0 : null;
                run = new RebuildRun(r.Partitions.Except(r.Done).ToList(), r.Done.ToList(), r.Current, r.Phase,
                    r.RowsDone, r.RowsTotal, Math.Round(elapsed.TotalSeconds, 1), estimate is { } e ? Math.Round(e, 1) : null);
            }

            return new RebuildSnapshot(_observed, _closed, run, _others);
        }
    }

    /// <summary>A one-line description for the progress log and the lock others read.</summary>
    public string Describe()
    {
        var s = Snapshot();
        return s.Run is not { } run
            ? $"closed: {string.Join(",", s.Closed)}"
            : $"partitions left {string.Join(",", run.Remaining)}, done {run.Done.Count}, phase {run.Phase}{(run.Current is { } c ? $" (partition {c})" : "")}, " +
              $"rows {run.RowsDone}/{run.RowsTotal}, elapsed {run.ElapsedSeconds:0.0} s, estimate {(run.EstimateSeconds is { } e ? $"{e:0} s" : "unknown")}";
    }
}

/// <param name="Observed">False until the first check ran: the state of the partitions is not known yet.</param>
/// <param name="Closed">Partitions without a marker: they refuse changes until rebuilt.</param>
/// <param name="Others">Partitions another instance holds the rebuild lock of, with the progress it published.</param>
public sealed record RebuildSnapshot(bool Observed, IReadOnlyList<int> Closed, RebuildRun? Run, IReadOnlyDictionary<int, string> Others);

public sealed record RebuildRun(
    IReadOnlyList<int> Remaining, IReadOnlyList<int> Done, int? Current, string Phase,
    long RowsDone, long RowsTotal, double ElapsedSeconds, double? EstimateSeconds);
