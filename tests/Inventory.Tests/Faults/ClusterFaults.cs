using System.Diagnostics;
using System.Globalization;
using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Faults;

/// <summary>
/// Faults on the shared 3-master Redis Cluster of scripts/services.sh, through redis-cli: a primary's writes paused
/// (CLIENT PAUSE ms WRITE, then UNPAUSE and a write that must go through), a replica restarted, a primary killed and
/// failed over to its replica and back. <see cref="EnsureHealthyAsync"/> leaves 7001-7003 primaries, every node
/// unpaused and cluster_state ok. Every wait polls a condition under a deadline.
/// </summary>
public sealed class ClusterFaults(Action<string> log)
{
    private static readonly string[] RedisFlags =
    [
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--enable-debug-command", "local",
        "--maxmemory", "2gb", "--maxmemory-policy", "noeviction", "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
        "--cluster-node-timeout", "5000",
    ];

    /// <summary>The ports meant to be primaries (INVENTORY_TEST_REDIS_CLUSTER).</summary>
    public IReadOnlyList<int> Primaries { get; } = TestEnvironment.RedisCluster.Split(',').Select(e => int.Parse(e.Split(':')[1], CultureInfo.InvariantCulture)).ToList();

    /// <summary>
    /// Where services.sh keeps the cluster's pid files and data: INVENTORY_TEST_SERVICES_DIR, else .local of this
    /// checkout, else .local of the main worktree (a git worktree shares the main checkout's services).
    /// </summary>
    public static string ServicesDir
    {
        get
        {
            var candidates = new List<string?> { Environment.GetEnvironmentVariable("INVENTORY_TEST_SERVICES_DIR"), Path.Combine(TestEnvironment.RepoRoot, ".local") };
            var gitFile = Path.Combine(TestEnvironment.RepoRoot, ".git");
            if (File.Exists(gitFile) && File.ReadAllText(gitFile).Trim() is var line && line.StartsWith("gitdir:", StringComparison.Ordinal))
            {
                // .git of a worktree: "gitdir: <main>/.git/worktrees/<name>"
                var gitDir = line["gitdir:".Length..].Trim();
                candidates.Add(Path.Combine(Path.GetFullPath(Path.Combine(gitDir, "..", "..", "..")), ".local"));
            }

            var pidFile = $"redis-{FirstPrimaryPort}.pid";
            return candidates.OfType<string>().FirstOrDefault(c => File.Exists(Path.Combine(c, "run", pidFile)))
                ?? throw new InvalidOperationException($"no .local/run/{pidFile} found; set INVENTORY_TEST_SERVICES_DIR");
        }
    }

    // A second cluster on other ports (a copy of services.sh with its own .local) lets two fault runs share a machine.
    private static string FirstPrimaryPort => TestEnvironment.RedisCluster.Split(',')[0].Split(':')[1];

    public static async Task<string> CliAsync(int port, params string[] args)
    {
        var info = new ProcessStartInfo("redis-cli", ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (await stdout).Trim();
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            return "ERR redis-cli timed out";
        }
    }

    public sealed record Node(int Port, bool Master, bool Failed, int? MasterPort);

    /// <summary>CLUSTER NODES as seen from the first node that answers.</summary>
    public async Task<List<Node>> NodesAsync()
    {
        foreach (var port in Primaries.Concat(Primaries.Select(p => p + 3)))
        {
            var text = await CliAsync(port, "cluster", "nodes");
            if (!text.Contains("myself", StringComparison.Ordinal))
            {
                continue;
            }

            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim().Split(' ')).ToList();
            var portById = lines.ToDictionary(f => f[0], f => PortOf(f[1]));
            return lines.Select(f => new Node(PortOf(f[1]), f[2].Contains("master", StringComparison.Ordinal), f[2].Contains("fail", StringComparison.Ordinal),
                f[3] == "-" ? null : portById.GetValueOrDefault(f[3]))).ToList();
        }

        return [];
    }

    /// <summary>The current primaries (holding slots), replicas included in the view.</summary>
    public async Task<List<int>> MastersAsync() => (await NodesAsync()).Where(n => n.Master && !n.Failed).Select(n => n.Port).OrderBy(p => p).ToList();

    /// <summary>CLIENT PAUSE WRITE on one node for <paramref name="duration"/>, then UNPAUSE and wait until a write to it goes through.</summary>
    public async Task PauseWritesAsync(int port, TimeSpan duration)
    {
        var until = DateTime.UtcNow + duration;
        var reply = await CliAsync(port, "client", "pause", ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "write");
        if (reply != "OK")
        {
            throw new InvalidOperationException($"CLIENT PAUSE on {port}: {reply}");
        }

        // The fault's length is the point: hold it until its end, then make sure it ends.
        while (DateTime.UtcNow < until)
        {
            await Task.Delay(until - DateTime.UtcNow < TimeSpan.FromMilliseconds(200) ? until - DateTime.UtcNow : TimeSpan.FromMilliseconds(200));
        }

        await UnpauseAndProbeAsync(port, TimeSpan.FromSeconds(30));
    }

    /// <summary>UNPAUSE, then a SET on a key the node owns must answer OK.</summary>
    public async Task UnpauseAndProbeAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await CliAsync(port, "client", "unpause");
            for (var i = 0; i < 64; i++)
            {
                var reply = await CliAsync(port, "set", $"history-probe-{i}", "1", "px", "10000");
                if (reply == "OK")
                {
                    return;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"redis {port} does not take writes after CLIENT UNPAUSE");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>kill -9 a node and start it again exactly as scripts/services.sh does (same dir, flags, nodes.conf).</summary>
    public async Task RestartNodeAsync(int port)
    {
        await KillNodeAsync(port);
        await StartNodeAsync(port);
    }

    public async Task KillNodeAsync(int port)
    {
        var dir = ServicesDir;
        var pidFile = Path.Combine(dir, "run", $"redis-{port}.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
            }
            catch (ArgumentException)
            {
                // already gone
            }
        }

        await WaitUntilAsync($"redis {port} down", TimeSpan.FromSeconds(20), async () => !(await CliAsync(port, "ping")).Contains("PONG", StringComparison.Ordinal));
    }

    public async Task StartNodeAsync(int port)
    {
        var dir = ServicesDir;
        var pidFile = Path.Combine(dir, "run", $"redis-{port}.pid");
        var info = new ProcessStartInfo("redis-server",
        [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--pidfile", pidFile, "--logfile", Path.Combine(dir, "log", $"redis-{port}.log"),
            "--dir", Path.Combine(dir, "redis-cluster", port.ToString(CultureInfo.InvariantCulture)), .. RedisFlags,
        ])
        { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        using (var start = Process.Start(info)!)
        {
            await start.WaitForExitAsync(); // --daemonize yes: returns once the server forked
        }

        await WaitUntilAsync($"redis {port} up", TimeSpan.FromSeconds(30), async () => await CliAsync(port, "ping") == "PONG");
    }

    /// <summary>A replica killed and restarted; it resyncs from its primary.</summary>
    public async Task RestartReplicaAsync(int port)
    {
        await RestartNodeAsync(port);
        await WaitUntilAsync($"replica {port} in sync", TimeSpan.FromSeconds(60), () => LinkUpAsync(port));
    }

    /// <summary>A primary killed (-9): its replica takes over; the old primary comes back as a replica, syncs, and takes its role back (CLUSTER FAILOVER).</summary>
    public async Task FailoverPrimaryAsync(int port)
    {
        var replica = (await NodesAsync()).FirstOrDefault(n => n.MasterPort == port && !n.Failed)?.Port
            ?? throw new InvalidOperationException($"{port} has no healthy replica");
        await KillNodeAsync(port);
        // The replica is promoted once the others see the primary fail (node timeout 5 s plus an election).
        await WaitUntilAsync($"{replica} promoted", TimeSpan.FromSeconds(60), async () => (await CliAsync(replica, "role")).StartsWith("master", StringComparison.Ordinal));
        log($"faults: {replica} took over from {port}");
        await StartNodeAsync(port);
        await WaitUntilAsync($"{port} back as a replica in sync", TimeSpan.FromSeconds(90), () => LinkUpAsync(port));
        await EnsureHealthyAsync(TimeSpan.FromSeconds(120));
    }

    /// <summary>Every node unpaused; a node that should be primary but is a replica gets its role back; cluster_state ok on all, 3 masters = <see cref="Primaries"/>.</summary>
    public async Task EnsureHealthyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var port in Primaries.Concat(Primaries.Select(p => p + 3)))
        {
            await CliAsync(port, "client", "unpause");
        }

        while (true)
        {
            var problem = await HealthProblemAsync();
            if (problem is null)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"cluster not healthy after {timeout.TotalSeconds:0} s: {problem}");
            }

            foreach (var port in Primaries)
            {
                if ((await CliAsync(port, "role")).StartsWith("slave", StringComparison.Ordinal) && await LinkUpAsync(port))
                {
                    log($"faults: {port} is a replica, CLUSTER FAILOVER to make it primary again");
                    await CliAsync(port, "cluster", "failover");
                }
            }

            await Task.Delay(500);
        }
    }

    public async Task<string?> HealthProblemAsync()
    {
        foreach (var port in Primaries.Concat(Primaries.Select(p => p + 3)))
        {
            var info = await CliAsync(port, "cluster", "info");
            if (!info.Contains("cluster_state:ok", StringComparison.Ordinal) || !info.Contains("cluster_known_nodes:6", StringComparison.Ordinal))
            {
                return $"{port}: {info.Split('\n').FirstOrDefault()}";
            }
        }

        var nodes = await NodesAsync();
        var masters = nodes.Where(n => n.Master && !n.Failed).Select(n => n.Port).OrderBy(p => p).ToList();
        if (nodes.Any(n => n.Failed) || !masters.SequenceEqual(Primaries.OrderBy(p => p)))
        {
            return $"masters {string.Join(",", masters)}, failed {string.Join(",", nodes.Where(n => n.Failed).Select(n => n.Port))}";
        }

        foreach (var port in nodes.Where(n => !n.Master).Select(n => n.Port))
        {
            if (!await LinkUpAsync(port))
            {
                return $"replica {port} not in sync";
            }
        }

        return null;
    }

    public static async Task WaitUntilAsync(string what, TimeSpan timeout, Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            }

            await Task.Delay(200);
        }
    }

    private static async Task<bool> LinkUpAsync(int port) => (await CliAsync(port, "info", "replication")).Contains("master_link_status:up", StringComparison.Ordinal);

    private static int PortOf(string address) => int.Parse(address.Split('@')[0].Split(':')[1], CultureInfo.InvariantCulture);
}
