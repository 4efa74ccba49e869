namespace Inventory.Persistence;

/// <summary>One accepted change as the SQL ledger remembers it; (Sku, Sequence) is its journal identity.</summary>
public sealed record LedgerRow
{
    public string Sku { get; init; } = "";
    public long Seq { get; init; }
    public int JournalPartition { get; init; }
    public string StreamId { get; init; } = "";
    public string Kind { get; init; } = "";
    public string ReferenceId { get; init; } = "";
    public long Delta { get; init; }
    public long AvailableAfter { get; init; }
    public string? Reason { get; init; }

    /// <summary>The order's customer (deduct, cancel, void, return rows of an order that named one).</summary>
    public string? CustomerId { get; init; }

    /// <summary>A set row's limitPerCustomer right after it (null: no limit).</summary>
    public long? LimitPerCustomer { get; init; }
    public long TaskId { get; init; }
    public DateTime JournalAt { get; init; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>SQL's copy of a SKU's stock and the per-SKU sequence it reflects.</summary>
public sealed record StockRow
{
    public string Sku { get; init; } = "";
    public long Available { get; init; }
    public long LastSeq { get; init; }

    /// <summary>Units one customer may take in all, from the SKU's newest set (null: no limit).</summary>
    public long? LimitPerCustomer { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>A customer's units of a SKU by the ledger: the negated sum of the deltas of the rows that carry the customer.</summary>
public sealed record CustomerTakenRow
{
    public string CustomerId { get; init; } = "";
    public string Sku { get; init; } = "";
    public long Taken { get; init; }
}

/// <summary>How far SQL holds a partition's journal: every entry up to and including <see cref="PersistedThrough"/>.</summary>
public sealed record JournalCursor
{
    public int JournalPartition { get; init; }
    public string PersistedThrough { get; init; } = "0";
    public DateTime UpdatedAt { get; init; }
}

/// <summary>A SKU's stock after a change, as published on <c>inventory-events</c>; (Sku, Sequence) dedupes downstream.</summary>
public sealed record StockSnapshot(string Sku, long Available, long Sequence);

/// <summary>A SKU's stock right after its change number <see cref="Seq"/>, as the ledger records it.</summary>
public sealed record LedgerPoint
{
    public string Sku { get; init; } = "";
    public long Seq { get; init; }
    public long AvailableAfter { get; init; }
}

/// <summary>One SKU of an order as the ledger has it: the kind of the order's latest row for the SKU (by the SKU's sequence) and the quantity of its latest deduction.</summary>
public sealed record OrderLedgerLine
{
    public string Sku { get; init; } = "";
    public string LastKind { get; init; } = "";
    public long LastSeq { get; init; }
    public long LastAfter { get; init; }
    public long? Deducted { get; init; }
    public long? DeductedAfter { get; init; }

    /// <summary>Units of the latest deduction that returns restocked since.</summary>
    public long Returned { get; init; }

    /// <summary>The customer the latest deduction named, if any.</summary>
    public string? CustomerId { get; init; }
}

/// <summary>What a ledger insert did: rows new to the ledger, or, when Redis's history diverged from SQL's, nothing and the clashing keys.</summary>
public sealed record LedgerInsertResult(int Inserted, IReadOnlyList<(string Sku, long Seq)> Divergent)
{
    public bool Diverged => Divergent.Count > 0;
}
