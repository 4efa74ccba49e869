namespace Inventory.WorkerHost;

/// <summary>What the local worker-protocol host runs and how; everything not set comes from host.json or defaults.</summary>
public sealed class WorkerHostOptions
{
    /// <summary>The built Functions app: the folder holding the worker dll, functions.metadata and host.json.</summary>
    public required string AppDirectory { get; init; }

    /// <summary>The worker assembly inside <see cref="AppDirectory"/>; by default worker.config.json's defaultWorkerPath.</summary>
    public string? WorkerAssembly { get; init; }

    /// <summary>Where the HTTP front listens, e.g. http://127.0.0.1:7071; port 0 picks a free one.</summary>
    public string HttpUrl { get; init; } = "http://127.0.0.1:0";

    /// <summary>App settings given to the worker as environment variables and used to resolve %Name% in bindings.</summary>
    public IDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>The function key (also accepted: the admin key). Generated when empty.</summary>
    public string? FunctionKey { get; init; }

    /// <summary>The admin (master) key. Generated when empty.</summary>
    public string? AdminKey { get; init; }

    /// <summary>Poll queues for queue-triggered functions. Off leaves messages where they are.</summary>
    public bool QueueTriggers { get; init; } = true;

    /// <summary>Run timers on their schedules. Off still lets <see cref="LocalWorkerHost.FireTimerAsync"/> fire them.</summary>
    public bool TimerSchedules { get; init; } = true;

    /// <summary>Overrides host.json's extensions.queues settings (tests shorten the visibility timeout).</summary>
    public Action<QueueTriggerSettings>? ConfigureQueues { get; init; }

    /// <summary>How long the worker may take to connect, initialise and load its functions.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Receives the host's and the worker's log lines.</summary>
    public Action<string> Log { get; init; } = Console.WriteLine;
}
