using System.Text.Json.Nodes;

namespace Inventory.WorkerHost;

/// <summary>The host.json settings this host honours: the HTTP route prefix and the queue trigger's tuning.</summary>
public sealed record HostJson(string RoutePrefix, QueueTriggerSettings Queues)
{
    public static HostJson Load(string path)
    {
        var root = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path), documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true }) : null;
        var extensions = root?["extensions"];
        var queues = extensions?["queues"];
        var settings = new QueueTriggerSettings();
        if (queues is not null)
        {
            settings.BatchSize = (int?)queues["batchSize"] ?? settings.BatchSize;
            settings.NewBatchThreshold = (int?)queues["newBatchThreshold"] ?? settings.BatchSize / 2;
            settings.MaxDequeueCount = (int?)queues["maxDequeueCount"] ?? settings.MaxDequeueCount;
            settings.VisibilityTimeout = TimeSpanOr(queues["visibilityTimeout"], settings.VisibilityTimeout);
            settings.MaxPollingInterval = TimeSpanOr(queues["maxPollingInterval"], settings.MaxPollingInterval);
            settings.Base64 = !string.Equals((string?)queues["messageEncoding"], "none", StringComparison.OrdinalIgnoreCase);
        }

        return new HostJson((string?)extensions?["http"]?["routePrefix"] ?? "api", settings);
    }

    private static TimeSpan TimeSpanOr(JsonNode? node, TimeSpan fallback) =>
        node is not null && TimeSpan.TryParse((string?)node, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value : fallback;
}

/// <summary>host.json extensions.queues, with the Functions defaults.</summary>
public sealed class QueueTriggerSettings
{
    public int BatchSize { get; set; } = 16;

    public int NewBatchThreshold { get; set; } = 8;

    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>How long a failed message stays invisible before its next attempt.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.Zero;

    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);

    public bool Base64 { get; set; } = true;
}
