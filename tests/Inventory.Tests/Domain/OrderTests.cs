using Inventory.Domain;

namespace Inventory.Tests.Domain;

public class OrderTests
{
    private static readonly Partitioner Partitioner = new(16);

    [Fact]
    public void Sums_quantities_of_the_same_sku_and_keeps_first_appearance_order()
    {
        var order = Order.Create(new DeductionRequest("o", [new("b", 1), new("a", 2), new("b", 3)]), Partitioner);

        Assert.Equal([new OrderLine("b", 4), new OrderLine("a", 2)], order.Lines);
        Assert.Equal("b 4,a 2", order.EncodedLines);
    }

    [Fact]
    public void Fingerprint_ignores_line_order_but_not_quantities()
    {
        var one = Order.Create(new DeductionRequest("o", [new("a", 1), new("b", 2)]), Partitioner);
        var reordered = Order.Create(new DeductionRequest("o", [new("b", 2), new("a", 1)]), Partitioner);
        var split = Order.Create(new DeductionRequest("o", [new("b", 1), new("a", 1), new("b", 1)]), Partitioner);
        var other = Order.Create(new DeductionRequest("o", [new("a", 1), new("b", 3)]), Partitioner);

        Assert.Equal(one.Fingerprint, reordered.Fingerprint);
        Assert.Equal(one.Fingerprint, split.Fingerprint);
        Assert.NotEqual(one.Fingerprint, other.Fingerprint);
    }

    [Fact]
    public void Fingerprint_carries_the_customer_so_another_customer_is_other_lines()
    {
        var none = Order.Create(new DeductionRequest("o", [new("a", 1)]), Partitioner);
        var mine = Order.Create(new DeductionRequest("o", [new("a", 1)], "c1"), Partitioner);
        var theirs = Order.Create(new DeductionRequest("o", [new("a", 1)], "c2"), Partitioner);
        var multi = Order.Create(new DeductionRequest("o", [new("b", 2), new("a", 1)], "c1"), Partitioner);

        Assert.Equal("a 1", none.Fingerprint);
        Assert.Equal("a 1@c1", mine.Fingerprint);
        Assert.NotEqual(mine.Fingerprint, theirs.Fingerprint);
        Assert.Equal("a 1", mine.EncodedLines);
        Assert.Equal(Order.FingerprintOf(multi.Lines, "c1"), multi.Fingerprint);
        Assert.Equal("c1", Order.CustomerOf(multi.Fingerprint));
        Assert.Null(Order.CustomerOf(none.Fingerprint));
    }

    [Fact]
    public void Encoded_lines_round_trip()
    {
        var lines = new List<OrderLine> { new("sku:1.a_b-c", 7), new("x", 1_000_000) };
        Assert.Equal(lines, Order.Decode(Order.Encode(lines)));
    }

    [Fact]
    public void Partitions_are_distinct_and_ascending()
    {
        var skus = Enumerable.Range(0, 50).Select(i => $"sku-{i}").ToList();
        var order = Order.Create(new DeductionRequest("o", skus.Select(s => new OrderLine(s, 1)).ToList()), Partitioner);

        Assert.Equal(order.Partitions.Distinct().Order(), order.Partitions);
        Assert.Equal(skus.Select(Partitioner.PartitionOf).Distinct().Count(), order.Partitions.Length);
        Assert.False(order.IsSinglePartition);
    }
}

public class PartitionerTests
{
    [Fact]
    public void Is_stable_across_processes()
    {
        // Hash values pinned: a change would move every SKU to another Redis hash tag.
        var partitioner = new Partitioner(16);
        Assert.Equal(new[] { 8, 15, 3 }, new[] { "iphone-15", "pixel-9", "a" }.Select(partitioner.PartitionOf));
    }

    [Fact]
    public void Spreads_skus_over_all_partitions()
    {
        var partitioner = new Partitioner(16);
        var counts = Enumerable.Range(0, 16_000).GroupBy(i => partitioner.PartitionOf($"sku-{i}")).Select(g => g.Count()).ToList();

        Assert.Equal(16, counts.Count);
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
    }
}

public class IdentifierTests
{
    [Theory]
    [InlineData("A100")]
    [InlineData("iphone-15")]
    [InlineData("a.b_c:d-e")]
    [InlineData(".a")]
    public void Accepts(string value) => Assert.Null(Identifiers.Validate(value));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("...")]
    [InlineData(".")]
    [InlineData("a b")]
    [InlineData("a,b")]
    [InlineData("a{b}")]
    [InlineData("é")]
    [InlineData("a\u0000")]
    [InlineData("a\n")]
    public void Rejects(string? value) => Assert.NotNull(Identifiers.Validate(value));

    [Fact]
    public void Rejects_more_than_64_characters()
    {
        Assert.Null(Identifiers.Validate(new string('a', 64)));
        Assert.NotNull(Identifiers.Validate(new string('a', 65)));
    }
}

public class PartitionerMixingTests
{
    [Fact]
    public void Skus_differing_only_in_high_bits_of_a_character_still_spread()
    {
        // '0', '@', 'P' and 'p' share their low four bits: plain FNV-1a mod 16 would put all of these together.
        var partitioner = new Partitioner(16);
        var skus = new[] { '0', '@', 'P', 'p' }.SelectMany(c => Enumerable.Range(0, 8).Select(i => $"sku-{c}{i}")).ToList();

        Assert.True(skus.Select(partitioner.PartitionOf).Distinct().Count() >= 12);
    }
}
