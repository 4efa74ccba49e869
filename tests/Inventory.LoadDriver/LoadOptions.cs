namespace Inventory.LoadDriver;

public sealed class LoadOptions
{
    public required Uri BaseUrl { get; init; }

    public required string FunctionKey { get; init; }

    public required string AdminKey { get; init; }

    /// <summary>JSON lines file the records go to (overwritten).</summary>
    public required string Output { get; init; }

    /// <summary>How long clients start new orders; orders in flight then finish (within GiveUpAfter).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    public int Clients { get; init; } = 16;

    public int HotSkus { get; init; } = 4;

    public int ColdSkus { get; init; } = 40;

    /// <summary>Small, so hot SKUs sell out and the last units are fought over while faults happen.</summary>
    public long HotStock { get; init; } = 200;

    public long ColdStock { get; init; } = 100_000;

    public int Seed { get; init; } = 1;

    /// <summary>Prefix of every SKU, order and adjustment id, so runs sharing a Redis prefix never meet.</summary>
    public string RunId { get; init; } = "r" + Guid.NewGuid().ToString("N")[..6];

    public double HotRate { get; init; } = 0.5;

    public double MultiSkuRate { get; init; } = 0.35;

    public int MaxLines { get; init; } = 4;

    public double CancelRate { get; init; } = 0.08;

    /// <summary>One admin adjustment (mostly restocks of hot SKUs) every this often; zero for none.</summary>
    public TimeSpan AdjustEvery { get; init; } = TimeSpan.FromMilliseconds(250);

    public int ThinkMilliseconds { get; init; } = 5;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromSeconds(90);

    public IReadOnlyList<string> HotSkuNames => Enumerable.Range(0, HotSkus).Select(i => $"{RunId}-hot-{i}").ToList();

    public IReadOnlyList<string> ColdSkuNames => Enumerable.Range(0, ColdSkus).Select(i => $"{RunId}-cold-{i}").ToList();

    public static LoadOptions Parse(CommandLine args)
    {
        var defaults = new LoadOptions { BaseUrl = new Uri("http://127.0.0.1:7071/"), FunctionKey = "", AdminKey = "", Output = "" };
        var baseUrl = args.String("base-url", "http://127.0.0.1:7071/");
        return new LoadOptions
        {
            BaseUrl = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/"),
            FunctionKey = args.Optional("function-key") ?? Environment.GetEnvironmentVariable("INVENTORY_FUNCTION_KEY") ?? throw new ArgumentException("--function-key or INVENTORY_FUNCTION_KEY is required"),
            AdminKey = args.Optional("admin-key") ?? Environment.GetEnvironmentVariable("INVENTORY_ADMIN_KEY") ?? throw new ArgumentException("--admin-key or INVENTORY_ADMIN_KEY is required"),
            Output = args.Required("output"),
            Duration = args.Seconds("duration", defaults.Duration.TotalSeconds),
            Clients = args.Int("clients", defaults.Clients),
            HotSkus = args.Int("hot-skus", defaults.HotSkus),
            ColdSkus = args.Int("cold-skus", defaults.ColdSkus),
            HotStock = args.Long("hot-stock", defaults.HotStock),
            ColdStock = args.Long("cold-stock", defaults.ColdStock),
            Seed = args.Int("seed", defaults.Seed),
            RunId = args.String("run-id", defaults.RunId),
            HotRate = args.Double("hot-rate", defaults.HotRate),
            MultiSkuRate = args.Double("multi-sku-rate", defaults.MultiSkuRate),
            MaxLines = args.Int("max-lines", defaults.MaxLines),
            CancelRate = args.Double("cancel-rate", defaults.CancelRate),
            AdjustEvery = TimeSpan.FromMilliseconds(args.Int("adjust-every-ms", (int)defaults.AdjustEvery.TotalMilliseconds)),
            ThinkMilliseconds = args.Int("think-ms", defaults.ThinkMilliseconds),
            RequestTimeout = args.Seconds("request-timeout", defaults.RequestTimeout.TotalSeconds),
            GiveUpAfter = args.Seconds("give-up-after", defaults.GiveUpAfter.TotalSeconds),
        };
    }
}
