namespace Inventory.Redis;

public sealed class RedisOptions
{
    /// <summary>StackExchange.Redis configuration string; a cluster is detected by the client itself.</summary>
    public string Configuration { get; set; } = "127.0.0.1:6380";

    /// <summary>Lets several deployments (or test runs) share one Redis without seeing each other's keys.</summary>
    public string KeyPrefix { get; set; } = "inv";

    /// <summary>Hash tags SKUs spread over; changing it moves SKUs between tags, so it is fixed per deployment.</summary>
    public int Partitions { get; set; } = 16;

    /// <summary>How long a command may take before its outcome counts as unknown; also each script's deadline.</summary>
    public int TimeoutMilliseconds { get; set; } = 2000;

    /// <summary>
    /// How long Redis remembers order ids, cancels and adjustment ids. Order ids stay single-use for ever (SQL's
    /// ledger answers after it, through the seen filter), so the window only has to cover retries of adjustments and
    /// the engine's persistence delay; one day (as Stripe keeps idempotency keys) keeps Redis a seventh of a week's.
    /// </summary>
    public TimeSpan IdempotencyTtl { get; set; } = TimeSpan.FromDays(1);

    /// <summary>A multi-partition order still pending after this long is rolled back. Must exceed the timeout.</summary>
    public TimeSpan RecoverAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Entries a partition's journal may hold before new sales are refused (503): the bound that keeps Redis from
    /// running out of memory while SQL is away. Cancels, voids and stock changes still go through.
    /// </summary>
    public long JournalLimit { get; set; } = 500_000;

    /// <summary>
    /// Durable acknowledgements: after a deduction, wait for one replica (WAIT 1) before answering 200, so a lossy
    /// failover cannot lose an acknowledged sale. Without a replica acknowledging in time the answer is 503 unknown
    /// (retrying with the same id replays and waits again). Needs replicas (a cluster with replicas, or a primary
    /// with one); off by default.
    /// </summary>
    public bool DurableAcknowledgements { get; set; }

    public int DurableTimeoutMilliseconds { get; set; } = 200;

    /// <summary>
    /// Bits of each home partition's seen filter (a Bloom filter of every order id, 7 bits each), which sends an id
    /// Redis forgot to SQL's ledger and keeps new ids off SQL. 2^23 bits (1 MiB per partition) hold about 870,000 ids
    /// per partition at 1 % false positives; beyond that more new ids take the SQL path, still correctly.
    /// </summary>
    public long SeenFilterBits { get; set; } = 1L << 23;

    internal long TtlSeconds => (long)IdempotencyTtl.TotalSeconds;
}
