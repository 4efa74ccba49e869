namespace Inventory.Domain;

public static class Limits
{
    public const int MaxLines = 100;
    public const long MaxQuantity = 1_000_000;
    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxBatchBodyBytes = 1024 * 1024;
    public const int MaxBatchSize = 500;
    public const int MaxSkusPerQuery = 100;
    /// <summary>Stock levels and adjustments stay far below 2^53 so Lua numbers (doubles) stay exact.</summary>
    public const long MaxStock = 1_000_000_000_000;
}
