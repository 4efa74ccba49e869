using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Sql.Tests.Infrastructure;

namespace Inventory.Sql.Tests;

/// <summary>Ledger, stock and cursor statements, against every configured database.</summary>
public class LedgerContractTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Re_persisting_a_range_inserts_nothing_and_an_overlapping_range_only_its_new_entries(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(1);
        var entries = Enumerable.Range(0, 150).Select(i => journal.Deduct($"order-{i}", $"sku-{i % 7}", 1)).ToList();

        Assert.Equal(100, await InsertAsync(db, entries[..100]));
        Assert.Equal(0, await InsertAsync(db, entries[..100]));
        Assert.Equal(50, await InsertAsync(db, entries[50..]));

        Assert.Equal(150, await db.Ledger.CountLedgerAsync());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_sequence_already_held_with_other_content_inserts_nothing_of_the_page_and_names_the_clash(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var sql = new InMemoryJournal(1);
        await InsertAsync(db, [sql.Set("a", 10), sql.Deduct("o1", "a", 1), sql.Deduct("o2", "a", 1), sql.Set("b", 3)]);

        // Redis lost o2 and handed its sequence to another order; "c" is new and would be fine on its own.
        var redis = new InMemoryJournal(1);
        var page = new[] { redis.Set("a", 10), redis.Deduct("o1", "a", 1), redis.Deduct("n1", "a", 2), redis.Set("c", 4) };
        await using (var tx = await db.Store.BeginAsync())
        {
            var result = await tx.InsertLedgerAsync(1, page);
            Assert.Equal(0, result.Inserted);
            Assert.Equal([("a", 3L)], result.Divergent);
            Assert.Equal([("a", 3L, 8L), ("b", 1L, 3L)], (await tx.GetLatestLedgerAsync(["a", "b", "missing"])).OrderBy(p => p.Sku, StringComparer.Ordinal).Select(p => (p.Sku, p.Seq, p.AvailableAfter)));
            await tx.CommitAsync();
        }

        Assert.Equal(4, await db.Ledger.CountLedgerAsync());
        // The same content under the same sequences (a retried page, a replica that had them) stays idempotent.
        Assert.Equal(0, await InsertAsync(db, [redis.History[0], redis.History[1]]));
    }

    /// <summary>The cancels a lost home's rebuild puts back: a cancel row in some SKU while another SKU still stands.</summary>
    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Half_cancelled_orders_are_those_with_a_cancel_and_a_sku_still_standing(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(1);
        await InsertAsync(db,
        [
            journal.Set("a", 10), journal.Set("b", 10),
            journal.Deduct("half", "a", 1), journal.Deduct("half", "b", 1), journal.Cancel("half", "a", 1),
            journal.Deduct("whole", "a", 1), journal.Deduct("whole", "b", 1), journal.Cancel("whole", "a", 1), journal.Cancel("whole", "b", 1),
            journal.Deduct("standing", "a", 1),
            journal.Deduct("voided", "a", 1), journal.Void("voided", "a", 1),
        ]);

        Assert.Equal(["half"], await db.Ledger.GetHalfCancelledOrdersAsync(DateTime.UtcNow.AddDays(-1)));
        Assert.Empty(await db.Ledger.GetHalfCancelledOrdersAsync(DateTime.UtcNow.AddDays(1)));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Ledger_rows_keep_every_field_of_the_journal_entry(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(4);
        var set = journal.Set("SKU-a", 10);
        var deduct = journal.Deduct("order-1", "SKU-a", 3);
        var adjust = journal.Adjust("adj-1", "SKU-a", 5, "found a box, 'dented'");
        await InsertAsync(db, [set, deduct, adjust], taskId: 42);

        var order = Assert.Single(await db.Ledger.FindByReferenceAsync("order-1"));
        var history = await db.Ledger.GetSkuHistoryAsync("SKU-a", 2);

        Assert.Equal(
            (deduct.Sku, deduct.Sequence, deduct.Partition, deduct.StreamId, ChangeKinds.Deduct, "order-1", -3L, 7L, (string?)null, 42L),
            (order.Sku, order.Seq, order.JournalPartition, order.StreamId, order.Kind, order.ReferenceId, order.Delta, order.AvailableAfter, order.Reason, order.TaskId));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(deduct.TimestampMs).UtcDateTime, DateTime.SpecifyKind(order.JournalAt, DateTimeKind.Utc));
        Assert.Equal([3L, 2L], history.Select(h => h.Seq));
        Assert.Equal("found a box, 'dented'", history[0].Reason);
        Assert.Empty(await db.Ledger.FindByReferenceAsync("ORDER-1"));
        // History pages run oldest first from after the given sequence.
        Assert.Equal([1L, 2L], (await db.Ledger.GetSkuHistoryPageAsync("SKU-a", 0, 2)).Select(h => h.Seq));
        Assert.Equal([3L], (await db.Ledger.GetSkuHistoryPageAsync("SKU-a", 2, 2)).Select(h => h.Seq));
        Assert.Empty(await db.Ledger.GetSkuHistoryPageAsync("SKU-a", 3, 2));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Customer_ids_and_limits_reach_the_ledger_the_newest_set_gives_the_stock_its_limit_and_customers_sum_per_sku(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(3);
        var set = journal.Set("lim-a", 10) with { LimitPerCustomer = 2 };
        var deduct = journal.Deduct("o1", "lim-a", 2) with { CustomerId = "c1" };
        var other = journal.Deduct("o2", "lim-a", 1) with { CustomerId = "c2" };
        var anonymous = journal.Deduct("o3", "lim-a", 1);
        await InsertAsync(db, [set, deduct, other, anonymous]);
        await ApplyAsync(db, ["lim-a"]);

        var rows = await db.Ledger.FindByReferenceAsync("o1");
        Assert.Equal("c1", Assert.Single(rows).CustomerId);
        Assert.Null(Assert.Single(await db.Ledger.FindByReferenceAsync("o3")).CustomerId);
        Assert.Equal(2, Assert.Single(await db.Ledger.GetStockAsync(["lim-a"])).LimitPerCustomer);
        Assert.Equal("c1", (await db.Ledger.GetOrderLinesAsync("o1")).Single().CustomerId);

        // A later batch without a set keeps the limit; a set without a limit clears it; the page carries it for a rebuild.
        var cancel = journal.Cancel("o1", "lim-a", 2) with { CustomerId = "c1" };
        await InsertAsync(db, [cancel]);
        await ApplyAsync(db, ["lim-a"]);
        Assert.Equal(2, Assert.Single(await db.Ledger.GetStockPageAsync("", 10)).LimitPerCustomer);
        var clear = journal.Set("lim-a", 10);
        await InsertAsync(db, [clear]);
        await ApplyAsync(db, ["lim-a"]);
        Assert.Null(Assert.Single(await db.Ledger.GetStockPageAsync("", 10)).LimitPerCustomer);

        var taken = await db.Ledger.GetCustomerTakenAsync(set.Partition);
        Assert.Equal([("c1", "lim-a", 0L), ("c2", "lim-a", 1L)], taken.Select(t => (t.CustomerId, t.Sku, t.Taken)));
        Assert.Empty(await db.Ledger.GetCustomerTakenAsync((set.Partition + 1) % 3));
        Assert.Equal(2, (await db.Ledger.GetSkuHistoryAsync("lim-a", 10)).Single(r => r.Seq == set.Sequence).LimitPerCustomer);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_ledger_refuses_updates_and_deletes(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(1);
        await InsertAsync(db, [journal.Deduct("o", "s", 1)]);

        await Assert.ThrowsAnyAsync<Exception>(() => db.ExecuteAsync("UPDATE ledger SET delta = 0"));
        await Assert.ThrowsAnyAsync<Exception>(() => db.ExecuteAsync("DELETE FROM ledger"));
        Assert.Equal(-1, await db.ScalarAsync<long>("SELECT delta FROM ledger"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Stock_takes_the_latest_sequence_across_sets_and_deltas_in_one_write(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(1);
        await InsertAsync(db, [journal.Set("a", 100), journal.Deduct("o1", "a", 30), journal.Set("a", 50), journal.Deduct("o2", "a", 5), journal.Set("b", 7)]);

        Assert.Equal(2, await ApplyAsync(db, ["a", "b", "missing"]));

        var stock = await db.Ledger.GetStockAsync(["a", "b", "missing"]);
        Assert.Equal([("a", 45L, 4L), ("b", 7L, 1L)], stock.Select(s => (s.Sku, s.Available, s.LastSeq)));
        Assert.Equal(0, await ApplyAsync(db, ["a", "b"]));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Stock_never_goes_backwards_and_never_refuses_what_Redis_accepted(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(1);
        var entries = new[] { journal.Set("a", 1), journal.Deduct("o1", "a", 1), journal.Cancel("o1", "a", 1), journal.Deduct("o2", "a", 1) };

        // Out-of-order arrival: the later half is applied first, then the earlier half must change nothing.
        await InsertAsync(db, entries[2..]);
        await ApplyAsync(db, ["a"]);
        await InsertAsync(db, entries[..2]);
        Assert.Equal(0, await ApplyAsync(db, ["a"]));
        Assert.Equal((0L, 4L), await StockOfAsync(db, "a"));

        // A stock row already ahead of the ledger (a later sequence applied by another batch) is left alone.
        await db.ExecuteAsync("UPDATE stock SET available = 99, last_seq = 10 WHERE sku = 'a'");
        Assert.Equal(0, await ApplyAsync(db, ["a"]));
        Assert.Equal((99L, 10L), await StockOfAsync(db, "a"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Concurrent_batches_applying_one_hot_sku_end_at_its_latest_sequence(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(1);
        journal.Set("hot", 1_000_000);
        for (var i = 0; i < 300; i++)
        {
            journal.Deduct($"o{i}", "hot", 1);
            journal.Deduct($"p{i}", $"cold-{i % 10}", 1);
        }

        var history = journal.History;
        var chunks = history.Chunk(20).ToList();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var c = w; c < chunks.Count; c += 4)
            {
                await InsertAsync(db, chunks[c]);
                await ApplyAsync(db, chunks[c].Select(e => e.Sku).Distinct().ToArray());
            }
        })));
        await ApplyAsync(db, journal.Stock.Keys.ToArray());

        var stock = await db.Ledger.GetStockAsync(journal.Stock.Keys.ToArray());
        Assert.Equal(journal.Stock.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)), stock.Select(s => (s.Sku, s.Available)));
        Assert.Equal(301L, stock.Single(s => s.Sku == "hot").LastSeq);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_partition_cursor_starts_at_zero_advances_and_serialises_its_transactions(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);

        await using (var first = await db.Store.BeginAsync())
        {
            Assert.Equal("0", await first.LockCursorAsync(3));
            var second = Task.Run(async () =>
            {
                await using var tx = await db.Store.BeginAsync();
                var seen = await tx.LockCursorAsync(3);
                await tx.CommitAsync();
                return seen;
            });
            await Task.Delay(300);
            Assert.False(second.IsCompleted, "a second transaction must wait for the cursor's lock");

            await first.AdvanceCursorAsync(3, "1700000000000-5");
            await first.CommitAsync();
            Assert.Equal("1700000000000-5", await second);
        }

        var cursor = Assert.Single(await db.Ledger.GetCursorsAsync());
        Assert.Equal((3, "1700000000000-5"), (cursor.JournalPartition, cursor.PersistedThrough));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Identifiers_compare_byte_wise(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(1);
        await InsertAsync(db, [journal.Set("abc", 1), journal.Set("ABC", 2), journal.Set("abC", 3)]);
        await ApplyAsync(db, ["abc", "ABC", "abC"]);

        var stock = await db.Ledger.GetStockAsync(["abc", "ABC", "abC"]);

        Assert.Equal([("ABC", 2L), ("abC", 3L), ("abc", 1L)], stock.Select(s => (s.Sku, s.Available)));
        Assert.Equal(3, await db.Ledger.CountLedgerAsync());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task The_order_view_follows_each_skus_rows_by_sequence(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(4);
        journal.Set("a", 100);
        journal.Set("b", 100);
        // Deducted, voided (a conflicting attempt), deducted again: the second deduction stands, with its quantity.
        journal.Deduct("again", "a", 2);
        journal.Void("again", "a", 2);
        journal.Deduct("again", "a", 3);
        // A multi-partition attempt voided on one SKU only, then retried with the same lines: deducted on both.
        journal.Deduct("retried", "a", 1);
        journal.Deduct("retried", "b", 1);
        journal.Void("retried", "a", 1);
        journal.Deduct("retried", "a", 1);
        // Deducted then cancelled on every SKU: cancelled, with the lines that were deducted.
        journal.Deduct("cancelled", "a", 4);
        journal.Deduct("cancelled", "b", 5);
        journal.Cancel("cancelled", "a", 4);
        journal.Cancel("cancelled", "b", 5);
        // The cancel reached SQL for one SKU only so far: still deducted, with both lines.
        journal.Deduct("half", "a", 1);
        journal.Deduct("half", "b", 1);
        journal.Cancel("half", "b", 1);
        // Only voided: never an order.
        journal.Deduct("voided", "a", 6);
        journal.Void("voided", "a", 6);
        // An adjustment id that spells like an order id is not an order.
        journal.Adjust("adj", "a", 5, "restock");
        // A reservation committed to an order: the commit row (delta 0) is the order's deduction, with the quantity
        // of the reservation's hold; a reservation id is no order, nor is one that was released or expired.
        journal.Hold("h1", "a", 7);
        journal.Hold("h1", "b", 2);
        journal.CommitHold("committed", "h1", "a");
        journal.CommitHold("committed", "h1", "b");
        journal.Hold("h2", "b", 3);
        journal.CommitHold("committed-cancelled", "h2", "b");
        journal.Cancel("committed-cancelled", "b", 3);
        journal.Hold("h3", "a", 1);
        journal.Release("h3", "a", 1, expired: true);
        await InsertAsync(db, journal.History);

        async Task<OrderView?> View(string id) => OrderLedgerView.From(id, await db.Ledger.GetOrderLinesAsync(id));
        static object? Shape(OrderView? v) => v is null ? null : (v.State, string.Join(",", v.Lines.Select(l => $"{l.Sku}:{l.Quantity}")));

        Assert.Equal(Shape(new OrderView("again", OrderState.Deducted, [new("a", 3)], true)), Shape(await View("again")));
        Assert.Equal(Shape(new OrderView("retried", OrderState.Deducted, [new("a", 1), new("b", 1)], true)), Shape(await View("retried")));
        Assert.Equal(Shape(new OrderView("cancelled", OrderState.Cancelled, [new("a", 4), new("b", 5)], true)), Shape(await View("cancelled")));
        Assert.Equal(Shape(new OrderView("half", OrderState.Deducted, [new("a", 1), new("b", 1)], true)), Shape(await View("half")));
        Assert.Equal(Shape(new OrderView("committed", OrderState.Deducted, [new("a", 7), new("b", 2)], true)), Shape(await View("committed")));
        Assert.Equal(Shape(new OrderView("committed-cancelled", OrderState.Cancelled, [new("b", 3)], true)), Shape(await View("committed-cancelled")));
        Assert.Equal([new OrderLine("a", 7), new OrderLine("b", 2)], (await View("committed"))!.Outstanding);
        Assert.Null(await View("h1"));
        Assert.Null(await View("h3"));
        Assert.Null(await View("voided"));
        Assert.Null(await View("adj"));
        Assert.Null(await View("never"));

        var lines = await db.Ledger.GetOrderLinesAsync("again");
        Assert.True(OrderLedgerView.Holds(new OrderView("again", OrderState.Deducted, [new("a", 3)], false), lines));
        Assert.False(OrderLedgerView.Holds(new OrderView("again", OrderState.Cancelled, [new("a", 3)], false), lines));
        Assert.True(OrderLedgerView.Holds(new OrderView("cancelled", OrderState.Cancelled, [new("a", 4), new("b", 5)], false), await db.Ledger.GetOrderLinesAsync("cancelled")));
        Assert.False(OrderLedgerView.Holds(new OrderView("half", OrderState.Cancelled, [new("a", 1), new("b", 1)], false), await db.Ledger.GetOrderLinesAsync("half")));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_void_row_persisted_before_the_rededuction_is_not_yet_the_order(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var journal = new InMemoryJournal(1);
        journal.Set("a", 10);
        journal.Deduct("o", "a", 2);
        journal.Void("o", "a", 2);
        var rededuct = journal.Deduct("o", "a", 2);
        await InsertAsync(db, journal.History.Where(e => e != rededuct).ToList());

        var deducted = new OrderView("o", OrderState.Deducted, [new("a", 2)], false);
        Assert.Null(OrderLedgerView.From("o", await db.Ledger.GetOrderLinesAsync("o")));
        Assert.False(OrderLedgerView.Holds(deducted, await db.Ledger.GetOrderLinesAsync("o")));

        await InsertAsync(db, [rededuct]);
        Assert.True(OrderLedgerView.Holds(deducted, await db.Ledger.GetOrderLinesAsync("o")));
    }

    private static async Task<int> InsertAsync(TestDatabase db, IReadOnlyList<JournalEntry> entries, long taskId = 1)
    {
        await using var tx = await db.Store.BeginAsync();
        var result = await tx.InsertLedgerAsync(taskId, entries);
        await tx.CommitAsync();
        Assert.False(result.Diverged);
        return result.Inserted;
    }

    private static async Task<int> ApplyAsync(TestDatabase db, IReadOnlyCollection<string> skus)
    {
        await using var tx = await db.Store.BeginAsync();
        var written = await tx.ApplyStockAsync(skus);
        await tx.CommitAsync();
        return written;
    }

    private static async Task<(long Available, long LastSeq)> StockOfAsync(TestDatabase db, string sku)
    {
        var row = Assert.Single(await db.Ledger.GetStockAsync([sku]));
        return (row.Available, row.LastSeq);
    }
}
