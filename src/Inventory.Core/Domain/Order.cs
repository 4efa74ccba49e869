namespace Inventory.Domain;

/// <summary>
/// An order with its lines summed per SKU (first appearance keeps its place), split by Redis partition.
/// The fingerprint is order-insensitive, so the same lines in another order are the same request; it carries the
/// customer, so the same lines for another customer are another request.
/// </summary>
public sealed class Order
{
    private Order(string orderId, IReadOnlyList<OrderLine> lines, string fingerprint, string encodedLines, int[] partitions, string? customerId)
    {
        OrderId = orderId;
        CustomerId = customerId;
        Lines = lines;
        Fingerprint = fingerprint;
        EncodedLines = encodedLines;
        Partitions = partitions;
    }

    public string OrderId { get; }

    /// <summary>Whose per-customer limits apply; null for none.</summary>
    public string? CustomerId { get; }

    /// <summary>Distinct SKUs with summed quantities, in order of first appearance.</summary>
    public IReadOnlyList<OrderLine> Lines { get; }

    public string Fingerprint { get; }

    /// <summary>The lines as stored in Redis: "sku qty,sku qty" (space and comma never occur in an identifier).</summary>
    public string EncodedLines { get; }

    /// <summary>Distinct partitions of the lines, ascending.</summary>
    public int[] Partitions { get; }

    public bool IsSinglePartition => Partitions.Length == 1;

    public static Order Create(DeductionRequest request, Partitioner partitioner)
    {
        if (request.Lines is [var only])
        {
            // The usual order (one SKU): its encoding is its fingerprint, and there is nothing to sum or sort.
            var encoded = Encode(only);
            return new Order(request.OrderId, [only], WithCustomer(encoded, request.CustomerId), encoded, [partitioner.PartitionOf(only.Sku)], request.CustomerId);
        }

        var summed = new List<OrderLine>(request.Lines.Count);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in request.Lines)
        {
            if (index.TryGetValue(line.Sku, out var at))
            {
                summed[at] = summed[at] with { Quantity = summed[at].Quantity + line.Quantity };
            }
            else
            {
                index[line.Sku] = summed.Count;
                summed.Add(line);
            }
        }

        var partitions = summed.Select(l => partitioner.PartitionOf(l.Sku)).Distinct().Order().ToArray();
        return new Order(request.OrderId, summed, FingerprintOf(summed, request.CustomerId), Encode(summed), partitions, request.CustomerId);
    }

    public IReadOnlyList<OrderLine> LinesIn(int partition, Partitioner partitioner) =>
        Lines.Where(l => partitioner.PartitionOf(l.Sku) == partition).ToList();

    public static string Encode(IEnumerable<OrderLine> lines) =>
        string.Join(',', lines.Select(Encode));

    private static string Encode(OrderLine line) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{line.Sku} {line.Quantity}");

    public static IReadOnlyList<OrderLine> Decode(string? encoded)
    {
        if (string.IsNullOrEmpty(encoded))
        {
            return [];
        }

        return encoded.Split(',').Select(part =>
        {
            var space = part.IndexOf(' ');
            return new OrderLine(part[..space], long.Parse(part[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }).ToList();
    }

    /// <summary>Order-insensitive identity of a set of lines: what replays are recognised by.</summary>
    public static string FingerprintOf(IEnumerable<OrderLine> lines) =>
        Encode(lines.OrderBy(l => l.Sku, StringComparer.Ordinal));

    /// <summary>The lines' identity and the customer's: '@' never occurs in an identifier, so the two cannot blur.</summary>
    public static string FingerprintOf(IEnumerable<OrderLine> lines, string? customerId) =>
        WithCustomer(FingerprintOf(lines), customerId);

    /// <summary>The customer id a fingerprint carries, or null.</summary>
    public static string? CustomerOf(string? fingerprint)
    {
        var at = fingerprint?.IndexOf('@') ?? -1;
        return at < 0 ? null : fingerprint![(at + 1)..];
    }

    private static string WithCustomer(string fingerprint, string? customerId) =>
        customerId is null ? fingerprint : fingerprint + "@" + customerId;
}
