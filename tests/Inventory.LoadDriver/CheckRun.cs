namespace Inventory.LoadDriver;

public sealed class CheckOptions
{
    public required string Records { get; init; }

    public string? Faults { get; init; }

    public required string Redis { get; init; }

    public required string KeyPrefix { get; init; }

    public int Partitions { get; init; } = 16;

    public required string Sql { get; init; }

    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public static CheckOptions Parse(CommandLine args) => new()
    {
        Records = args.Required("records"),
        Faults = args.Optional("faults"),
        Redis = args.String("redis", "127.0.0.1:6380"),
        KeyPrefix = args.String("prefix", "inv"),
        Partitions = args.Int("partitions", 16),
        Sql = args.Required("sql"),
        DrainTimeout = args.Seconds("drain-timeout", 120),
    };
}

public static class CheckRun
{
    /// <summary>Waits for the engine to drain, reads both stores and the records, and evaluates.</summary>
    public static async Task<CheckReport> RunAsync(CheckOptions options, Action<string> log)
    {
        var records = JsonLines.Read<ClientRecord>(options.Records).ToList();
        var faults = options.Faults is { } path && File.Exists(path) ? JsonLines.Read<FaultRecord>(path).ToList() : [];
        var skus = records.OfType<StockRecord>().Select(s => s.Sku).ToList();
        log($"check: {records.OfType<OrderRecord>().Count()} orders, {records.OfType<AdjustmentRecord>().Count()} adjustments, {skus.Count} SKUs, {faults.Count} faults");
        await using var reader = new StateReader(options.Redis, options.KeyPrefix, options.Partitions, options.Sql);
        var drained = await reader.WaitForDrainAsync(skus, options.DrainTimeout, log);
        var state = await reader.ReadAsync(skus);
        log($"check: drained {(drained is { } d ? $"after {d.TotalSeconds:0.0} s" : "NOT")}, {state.Ledger.Count} ledger rows");
        return Checker.Evaluate(records, faults, state, drained);
    }
}
