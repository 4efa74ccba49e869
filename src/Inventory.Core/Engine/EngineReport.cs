namespace Inventory.Engine;

/// <summary>What one handler run did, for the host to log. Errors are also kept on the task rows (last_error).</summary>
public sealed class EngineReport
{
    private readonly Lock _gate = new();
    private readonly List<string> _errors = [];
    private readonly HashSet<int> _touchedShards = [];

    public int Claimed { get; private set; }
    public int Completed { get; private set; }
    public int Failed { get; private set; }
    public int LeaseLost { get; private set; }

    /// <summary>Of <see cref="Failed"/>: given back for a retry with backoff, and killed on their last attempt.</summary>
    public int Retried { get; private set; }

    public int Dead { get; private set; }

    /// <summary>Statement-level counts: stale leases unlocked, tasks pruned, sweep tasks created.</summary>
    public int Affected { get; private set; }

    public bool Duplicate { get; private set; }

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_gate)
            {
                return _errors.ToArray();
            }
        }
    }

    public IReadOnlySet<int> TouchedShards
    {
        get
        {
            lock (_gate)
            {
                return _touchedShards.ToHashSet();
            }
        }
    }

    public override string ToString() =>
        $"claimed={Claimed} completed={Completed} failed={Failed} retried={Retried} dead={Dead} leaseLost={LeaseLost} affected={Affected} duplicate={Duplicate} errors={Errors.Count}";

    internal void AddClaimed(int n)
    {
        lock (_gate)
        {
            Claimed += n;
        }
    }

    internal void AddCompleted(int n)
    {
        lock (_gate)
        {
            Completed += n;
        }
    }

    internal void AddFailed(int n, string error)
    {
        lock (_gate)
        {
            Failed += n;
            _errors.Add(error);
        }
    }

    internal void AddFailureRecorded(int retried, int dead)
    {
        lock (_gate)
        {
            Retried += retried;
            Dead += dead;
        }
    }

    internal void AddLeaseLost(int n)
    {
        lock (_gate)
        {
            LeaseLost += n;
        }
    }

    internal void AddAffected(int n)
    {
        lock (_gate)
        {
            Affected += n;
        }
    }

    internal void AddError(string error)
    {
        lock (_gate)
        {
            _errors.Add(error);
        }
    }

    internal void MarkDuplicate() => Duplicate = true;

    internal void Touch(IEnumerable<int> shards)
    {
        lock (_gate)
        {
            _touchedShards.UnionWith(shards);
        }
    }

    internal void Add(EngineReport other)
    {
        lock (_gate)
        {
            Claimed += other.Claimed;
            Completed += other.Completed;
            Failed += other.Failed;
            Retried += other.Retried;
            Dead += other.Dead;
            LeaseLost += other.LeaseLost;
            Affected += other.Affected;
            _errors.AddRange(other.Errors);
            _touchedShards.UnionWith(other.TouchedShards);
        }
    }
}
