using System.Text;

namespace Inventory.LoadDriver;

/// <summary>What the checker proved: the fault table and every invariant's count. Zero everywhere passes.</summary>
public sealed class CheckReport
{
    private const int ExamplesPerKind = 5;

    public List<FaultRow> Rows { get; } = [];

    /// <summary>The first few findings of each kind, with the ids to look up.</summary>
    public List<string> Examples { get; } = [];

    public long ExampleCount { get; private set; }

    public TimeSpan? DrainedAfter { get; init; }

    public long PendingClaims { get; init; }

    /// <summary>SKUs whose stock was ever below zero (Redis, SQL, any ledger row) or that clients were sold beyond supply.</summary>
    public long Oversold { get; set; }

    /// <summary>(order, SKU) pairs deducted more than once net of voids.</summary>
    public long Doubled { get; set; }

    /// <summary>(order, SKU) pairs of orders a client saw accepted (200) that are not in the ledger exactly once.</summary>
    public long Lost { get; set; }

    /// <summary>Changes nobody was told about: refused orders deducted, restocks without a cancel, stray ledger rows.</summary>
    public long Phantom { get; set; }

    public long LostCancels { get; set; }

    public long DoubledCancels { get; set; }

    public long LostAdjustments { get; set; }

    public long DoubledAdjustments { get; set; }

    /// <summary>SKUs where SQL stock ≠ Redis stock ≠ initial − deducted + voided + cancelled ± adjustments, or the ledger lags.</summary>
    public long SqlRedisMismatches { get; set; }

    /// <summary>SKUs whose stock lies outside the range the clients' answers allow.</summary>
    public long OutsideClientBounds { get; set; }

    public long LedgerBreaks { get; set; }

    public long DeadTasks { get; init; }

    public bool Passed(bool allowLost = false) =>
        Oversold == 0 && Doubled == 0 && DoubledCancels == 0 && DoubledAdjustments == 0 && Phantom == 0 && SqlRedisMismatches == 0
        && LedgerBreaks == 0 && DeadTasks == 0 && DrainedAfter is not null
        && (allowLost || (Lost == 0 && LostCancels == 0 && LostAdjustments == 0 && OutsideClientBounds == 0));

    public void Example(string kind, string text)
    {
        ExampleCount++;
        if (Examples.Count(e => e.StartsWith(kind + ": ", StringComparison.Ordinal)) < ExamplesPerKind)
        {
            Examples.Add($"{kind}: {text}");
        }
    }

    public string Table()
    {
        var text = new StringBuilder();
        text.AppendLine($"{"fault",-36} {"injected",8} {"orders",8} {"accepted",8} {"no answer",9} {"lost",6} {"doubled",7} {"phantom",7}");
        foreach (var row in Rows)
        {
            var injected = row.Fault == "(no fault)" ? "-" : row.Injected.ToString(System.Globalization.CultureInfo.InvariantCulture);
            text.AppendLine($"{row.Fault,-36} {injected,8} {row.Orders,8} {row.Accepted,8} {row.NoAnswer,9} {row.Lost,6} {row.Doubled,7} {row.Phantom,7}");
        }

        text.AppendLine("(an order counts against every fault it overlapped, up to 5 s after the fault ended; a lost order also against");
        text.AppendLine(" the first fault at or after its start)");
        text.AppendLine();
        text.AppendLine($"{"invariant (after the drain)",-62} count");
        Line(text, "oversold SKUs (stock < 0 anywhere, or sold beyond supply)", Oversold);
        Line(text, "(order, SKU) deducted twice", Doubled);
        Line(text, "(order, SKU) accepted (200) but not in the ledger once: lost", Lost);
        Line(text, "phantom changes (refused yet applied, unrecorded)", Phantom);
        Line(text, "cancels answered 200 but not in the ledger", LostCancels);
        Line(text, "orders restocked twice", DoubledCancels);
        Line(text, "adjustments answered 200 but not in the ledger", LostAdjustments);
        Line(text, "adjustments applied twice", DoubledAdjustments);
        Line(text, "SKUs with SQL ≠ Redis ≠ initial − deducted + cancelled ± adj.", SqlRedisMismatches);
        Line(text, "SKUs outside what clients were told", OutsideClientBounds);
        Line(text, "SKUs with a broken ledger chain", LedgerBreaks);
        Line(text, "dead tasks", DeadTasks);
        text.AppendLine(DrainedAfter is { } drained
            ? $"drained {drained.TotalSeconds:0.0} s after the load stopped"
            : $"NOT DRAINED within the timeout ({PendingClaims} pending multi-partition orders)");
        if (ExampleCount > 0)
        {
            text.AppendLine($"{ExampleCount} findings{(ExampleCount > Examples.Count ? $", the first {ExamplesPerKind} of each kind" : "")}:");
            foreach (var example in Examples)
            {
                text.AppendLine("  " + example);
            }
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string name, long count) => text.AppendLine($"{name,-62} {count,5}");
}
