using System.Net;
using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Engine;
using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Tests.Checkout;

/// <summary>
/// Red-team finding 3: a commit that converted one partition of a two-partition reservation and died (the home stays
/// 'committing'), then the home partition is lost. ledger_open_holds.sql left out the converted partition's hold row
/// (a later commit names the reservation), so the rebuild restored the home as 'held' with only the other partition's
/// lines, and the reservation could be released (or expire) while part of it was already an order's deduction. Now the
/// home comes back 'committing' to the commit rows' order with every line, and the expiry loop rolls the commit forward.
/// When the order's claim is lost as well, it comes back from SQL with the converted lines only and the roll-forward
/// gives the commit up instead: the rest is released, and the order stands with what was sold.
/// </summary>
public sealed class ReservationHalfCommittedLossTests
{
    [Fact]
    public async Task A_half_committed_reservation_whose_home_is_lost_comes_back_committing_not_held()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__Recovery__CheckInterval"] = "00:00:01";
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        var (a, b) = ReturnTests.TwoPartitions("hhc");
        var partition = redis.Partitioner.PartitionOf(a);
        await server.SetStockAsync(a, 100);
        await server.SetStockAsync(b, 100);
        using var client = server.CreateClient();
        // The order's own claim lives elsewhere: lost too, it gives the commit up (the cases below, docs/holds.md).
        var id = Enumerable.Range(0, 2000).Select(i => $"{a}-h{i}")
            .First(x => redis.Partitioner.HoldHomeOf(x) == partition && redis.Partitioner.HomeOf("o-" + x) != partition);
        var orderId = "o-" + id;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 3)))).Status);

        // The commit decides and converts b's partition, then its process dies.
        var db = redis.Connection.GetDatabase();
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        var home = redis.Partitioner.HoldHomeOf(id);
        var pb = redis.Partitioner.PartitionOf(b);
        var order = Order.Create(new DeductionRequest(orderId, [new OrderLine(a, 2), new OrderLine(b, 3)]), redis.Partitioner);
        Assert.Equal("ok", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldSettle, [keys.Hold(home, id), keys.HoldExpiry(home)], [id, "commit", 30000, orderId]))!)[0]);
        Assert.Equal("committed", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldCommit,
            [keys.Stock(pb), keys.Sequences(pb), keys.Journal(pb), keys.Record(pb, orderId), keys.Marker(pb), keys.HoldRecord(pb, id), keys.Held(pb)],
            [orderId, id, 1, 3600, Order.FingerprintOf(order.LinesIn(pb, redis.Partitioner), null), ""]))!)[0]);
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        var tag = $"{{{redis.Options.KeyPrefix}:{partition}}}";
        RedisKey[] lost =
        [
            .. new[] { "stock", "seq", "journal", "marker", "pending", "seen", "held", "expiry" }.Select(k => (RedisKey)$"{tag}:{k}"),
            (RedisKey)$"{tag}:hr:{id}",
            (RedisKey)$"{tag}:h:{id}",
        ];
        await db.KeyDeleteAsync(lost);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        var probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{a}-probe", (a, 1)));
        while (probe.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{a}-probe", (a, 1)));
        }

        Assert.Equal(HttpStatusCode.OK, probe.Status);
        // Part of it is an order's deduction already: it must not be releasable (before: 200, a's 2 units back, while
        // b's 3 stay sold to the order the commit never answered).
        var view = await client.GetJsonAsync($"api/reservations/{id}");
        var release = await client.PostAsync($"api/reservations/{id}/release", new { });
        Assert.Equal(HttpStatusCode.Conflict, release.Status);
        Assert.Equal("committed", release.Body!["status"]!.GetValue<string>());
        Assert.Equal(2, view.Body!["lines"]!.AsArray().Count);

        // The expiry loop rolls the commit forward: the order stands with every line, and no unit came back.
        await Protocol.ClusterControl.Until(async () => (await client.GetJsonAsync($"api/reservations/{id}")).Body!["status"]!.GetValue<string>() == "committed",
            TimeSpan.FromSeconds(30), "the loop finished the commit");
        Assert.Equal(orderId, (await client.GetJsonAsync($"api/reservations/{id}")).Body!["orderId"]!.GetValue<string>());
        var deduction = await client.GetJsonAsync($"api/deductions/{orderId}");
        Assert.Equal("deducted", deduction.Body!["status"]!.GetValue<string>());
        Assert.Equal(2, deduction.Body["lines"]!.AsArray().Count);
        Assert.Equal(97, await client.AvailableAsync(a));
        Assert.Equal(97, await client.AvailableAsync(b));
        Assert.Equal(0, (await client.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_committing_reservation_whose_converted_partition_is_lost_still_finishes()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__Recovery__CheckInterval"] = "00:00:01";
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        var (a, b) = ReturnTests.TwoPartitions("hcl");
        var partition = redis.Partitioner.PartitionOf(a);
        await server.SetStockAsync(a, 100);
        await server.SetStockAsync(b, 100);
        using var client = server.CreateClient();
        // The order's own claim lives elsewhere: lost too, it gives the commit up (the cases below, docs/holds.md).
        var id = Enumerable.Range(0, 2000).Select(i => $"{a}-h{i}")
            .First(x => redis.Partitioner.HoldHomeOf(x) == partition && redis.Partitioner.HomeOf("o-" + x) != partition);
        var orderId = "o-" + id;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 3)))).Status);

        // The commit decides and converts b's partition, then its process dies.
        var db = redis.Connection.GetDatabase();
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        var home = redis.Partitioner.HoldHomeOf(id);
        var pb = redis.Partitioner.PartitionOf(b);
        var order = Order.Create(new DeductionRequest(orderId, [new OrderLine(a, 2), new OrderLine(b, 3)]), redis.Partitioner);
        Assert.Equal("ok", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldSettle, [keys.Hold(home, id), keys.HoldExpiry(home)], [id, "commit", 30000, orderId]))!)[0]);
        Assert.Equal("committed", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldCommit,
            [keys.Stock(pb), keys.Sequences(pb), keys.Journal(pb), keys.Record(pb, orderId), keys.Marker(pb), keys.HoldRecord(pb, id), keys.Held(pb)],
            [orderId, id, 1, 3600, Order.FingerprintOf(order.LinesIn(pb, redis.Partitioner), null), ""]))!)[0]);
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        var tag = $"{{{redis.Options.KeyPrefix}:{pb}}}";
        RedisKey[] lost =
        [
            .. new[] { "stock", "seq", "journal", "marker", "pending", "seen", "held", "expiry" }.Select(k => (RedisKey)$"{tag}:{k}"),
            (RedisKey)$"{tag}:hr:{id}",
            (RedisKey)$"{tag}:o:{orderId}",
        ];
        await db.KeyDeleteAsync(lost);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        var probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{b}-probe", (b, 1)));
        while (probe.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{b}-probe", (b, 1)));
        }

        Assert.Equal(HttpStatusCode.OK, probe.Status);
        // The commit's retry (or the expiry loop's roll-forward) must finish it: b's record comes back from its commit
        // row as order A's deduction, but b's hold record does not come back, so hold_commit.lua answers 'gone' there
        // and the reservation stays 'committing' for ever (503 on every retry, the loop retrying every RecoverAfter).
        var retry = await client.PostAsync($"api/reservations/{id}/commit", new { orderId });
        Assert.Equal(HttpStatusCode.OK, retry.Status);
        Assert.Equal("committed", (await client.GetJsonAsync($"api/reservations/{id}")).Body!["status"]!.GetValue<string>());
        Assert.Equal(98, await client.AvailableAsync(a));
    }

    [Fact]
    public Task A_half_committed_reservation_whose_home_and_order_claim_home_are_lost_together_gives_the_commit_up() =>
        GivesTheCommitUpOnceTheOrderClaimIsLostAsync(homeLostToo: true);

    [Fact]
    public Task A_half_committed_reservation_whose_order_claim_home_alone_is_lost_gives_the_commit_up() =>
        GivesTheCommitUpOnceTheOrderClaimIsLostAsync(homeLostToo: false);

    /// <summary>
    /// The commit claimed the order id with both lines and converted b, then died; the order's claim is lost (with
    /// the reservation's home and a's partition, or alone in a third partition). SQL only knows b's commit row, so the
    /// claim comes back with b's line alone and the roll-forward gives the commit up: a back in stock, b sold.
    /// </summary>
    private static async Task GivesTheCommitUpOnceTheOrderClaimIsLostAsync(bool homeLostToo)
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__Recovery__CheckInterval"] = "00:00:01";
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        var (a, b) = ReturnTests.TwoPartitions("hco");
        var partition = redis.Partitioner.PartitionOf(a);
        await server.SetStockAsync(a, 100);
        await server.SetStockAsync(b, 100);
        using var client = server.CreateClient();
        var pb = redis.Partitioner.PartitionOf(b);
        // Lost together: the reservation's home, a's partition and the order's claim home are one partition. Alone: the
        // claim home is a third partition, so the home stands committing and nothing held or converted is lost.
        var id = Enumerable.Range(0, 2000).Select(i => $"{a}-h{i}")
            .First(x => redis.Partitioner.HoldHomeOf(x) == partition && (homeLostToo
                ? redis.Partitioner.HomeOf("o-" + x) == partition
                : redis.Partitioner.HomeOf("o-" + x) != partition && redis.Partitioner.HomeOf("o-" + x) != pb));
        var claimHome = redis.Partitioner.HomeOf("o-" + id);
        var orderId = "o-" + id;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 3)))).Status);

        // The commit decides, claims the order id with both lines (as the real path does, out of pending), converts
        // b's partition, then its process dies.
        var db = redis.Connection.GetDatabase();
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        var home = redis.Partitioner.HoldHomeOf(id);
        var order = Order.Create(new DeductionRequest(orderId, [new OrderLine(a, 2), new OrderLine(b, 3)]), redis.Partitioner);
        Assert.Equal("ok", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldSettle, [keys.Hold(home, id), keys.HoldExpiry(home)], [id, "commit", 30000, orderId]))!)[0]);
        var claimArgs = new RedisValue[2 + 6 + SeenFilter.Hashes];
        claimArgs[0] = 3600;
        claimArgs[1] = SeenFilter.Hashes;
        (claimArgs[2], claimArgs[3], claimArgs[4], claimArgs[5], claimArgs[6], claimArgs[7]) =
            (orderId, order.Fingerprint, order.EncodedLines, string.Join(' ', order.Partitions), "0", "new");
        new SeenFilter(redis.Options.SeenFilterBits).Fill(orderId, claimArgs, 8);
        var claim = (RedisResult[])((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.Claim,
            [keys.Pending(claimHome), keys.Seen(claimHome), keys.Marker(claimHome), keys.Claim(claimHome, orderId)], claimArgs))!)[0]!;
        Assert.Equal("go", (string?)claim[0]);
        var epoch = (long)claim[1];
        Assert.Equal("committed", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldCommit,
            [keys.Stock(pb), keys.Sequences(pb), keys.Journal(pb), keys.Record(pb, orderId), keys.Marker(pb), keys.HoldRecord(pb, id), keys.Held(pb)],
            [orderId, id, epoch, 3600, Order.FingerprintOf(order.LinesIn(pb, redis.Partitioner), null), ""]))!)[0]);
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        var tag = $"{{{redis.Options.KeyPrefix}:{claimHome}}}";
        RedisKey[] lost =
        [
            .. new[] { "stock", "seq", "journal", "marker", "pending", "seen", "held", "expiry" }.Select(k => (RedisKey)$"{tag}:{k}"),
            keys.Claim(claimHome, orderId),
            .. homeLostToo ? new RedisKey[] { $"{tag}:hr:{id}", $"{tag}:h:{id}" } : [],
        ];
        await db.KeyDeleteAsync(lost);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        if (homeLostToo)
        {
            var probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{a}-probe", (a, 1)));
            while (probe.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
                probe = await client.PostAsync("api/deductions", HttpCalls.Order($"{a}-probe", (a, 1)));
            }

            Assert.Equal(HttpStatusCode.OK, probe.Status);
            await Protocol.ClusterControl.Until(async () => (await client.GetJsonAsync($"api/reservations/{id}")).Body!["status"]!.GetValue<string>() == "committed",
                TimeSpan.FromSeconds(30), "the loop finished the commit");
        }
        else
        {
            // The home stands, committing: the caller's retry rolls forward (503 while the claim home rebuilds).
            var retry = await client.PostAsync($"api/reservations/{id}/commit", new { orderId });
            while (retry.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
                retry = await client.PostAsync($"api/reservations/{id}/commit", new { orderId });
            }

            Assert.Equal(HttpStatusCode.Conflict, retry.Status);
        }

        // The roll-forward's claim meets the claim SQL put back (the commit row names b only), so it gives the commit up:
        // a's units go back to stock, b's stay sold to the order, and the order's answers say exactly that.
        var view = await client.GetJsonAsync($"api/reservations/{id}");
        Assert.Equal(orderId, view.Body!["orderId"]!.GetValue<string>());
        Assert.Equal(2, view.Body["lines"]!.AsArray().Count);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync($"api/reservations/{id}/commit", new { orderId })).Status);
        var release = await client.PostAsync($"api/reservations/{id}/release", new { });
        Assert.Equal(HttpStatusCode.Conflict, release.Status);
        Assert.Equal("committed", release.Body!["status"]!.GetValue<string>());
        var deduction = await client.GetJsonAsync($"api/deductions/{orderId}");
        Assert.Equal("deducted", deduction.Body!["status"]!.GetValue<string>());
        Assert.Equal([(b, 3L)], deduction.Body["lines"]!.AsArray().Select(l => (l!["sku"]!.GetValue<string>(), l["quantity"]!.GetValue<long>())));
        var stockA = homeLostToo ? 99 : 100;
        Assert.Equal(stockA, await client.AvailableAsync(a));
        Assert.Equal(97, await client.AvailableAsync(b));
        Assert.Equal(0, (await client.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>());
        Assert.Equal(0, (await client.GetJsonAsync($"api/stock/{b}")).Body!["reserved"]!.GetValue<long>());

        // The cancel restocks b's 3 once (a's 2 are back already, by the release): every held unit moved once.
        // (503 while a claim home alone lost is still rebuilding: the retry above may have given up during it.)
        var cancel = await client.PostAsync($"api/deductions/{orderId}/cancel", new { });
        while (cancel.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            cancel = await client.PostAsync($"api/deductions/{orderId}/cancel", new { });
        }

        Assert.Equal(HttpStatusCode.OK, cancel.Status);
        Assert.Equal([b], cancel.Body!["lines"]!.AsArray().Select(l => l!["sku"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{orderId}/cancel", new { })).Status);
        Assert.Equal(stockA, await client.AvailableAsync(a));
        Assert.Equal(100, await client.AvailableAsync(b));
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));
        var rows = await database.QueryAsync(
            $"select sku, kind, reference_id, delta from ledger where sku in ('{a}', '{b}') and kind in ('hold', 'commit', 'release', 'expire', 'cancel') order by sku, seq",
            r => $"{r.GetString(0)} {r.GetString(1)} {r.GetString(2)} {r.GetInt64(3)}");
        Assert.Equal([$"{a} hold {id} -2", $"{a} release {id} 2", $"{b} hold {id} -3", $"{b} commit {orderId} 0", $"{b} cancel {orderId} 3"], rows);
    }

    /// <summary>
    /// The order's claim home cannot answer for a while (its marker gone, as when a rebuild starts over a lossy
    /// failover; a refusal such as READONLY takes the same path) while its claim, open with both lines, survives. The
    /// roll-forward gave the commit up: a released while the order answered pending with a's line, and the 503 said
    /// nothing was committed. Now the commit stays committing and finishes once the claim home answers.
    /// </summary>
    [Fact]
    public async Task A_half_committed_reservation_whose_order_claim_home_is_briefly_unavailable_rolls_forward()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var redis = RedisTarget.Create("standalone");
        var settings = EngineEndToEndTests.EngineSettings(database);
        settings["Inventory__Redis__Recovery__CheckInterval"] = "00:00:01";
        await using var server = new ServerProcess(TestEnvironment.Redis, redis.Options.KeyPrefix, settings);
        await server.StartAsync();
        var (a, b) = ReturnTests.TwoPartitions("hco");
        var partition = redis.Partitioner.PartitionOf(a);
        await server.SetStockAsync(a, 100);
        await server.SetStockAsync(b, 100);
        using var client = server.CreateClient();
        var pb = redis.Partitioner.PartitionOf(b);
        var id = Enumerable.Range(0, 2000).Select(i => $"{a}-h{i}")
            .First(x => redis.Partitioner.HoldHomeOf(x) == partition && redis.Partitioner.HomeOf("o-" + x) != partition && redis.Partitioner.HomeOf("o-" + x) != pb);
        var claimHome = redis.Partitioner.HomeOf("o-" + id);
        var orderId = "o-" + id;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 3)))).Status);

        // The commit decides, claims the order id with both lines (as the real path does, out of pending), converts
        // b's partition, then its process dies.
        var db = redis.Connection.GetDatabase();
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        var home = redis.Partitioner.HoldHomeOf(id);
        var order = Order.Create(new DeductionRequest(orderId, [new OrderLine(a, 2), new OrderLine(b, 3)]), redis.Partitioner);
        Assert.Equal("ok", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldSettle, [keys.Hold(home, id), keys.HoldExpiry(home)], [id, "commit", 30000, orderId]))!)[0]);
        var claimArgs = new RedisValue[2 + 6 + SeenFilter.Hashes];
        claimArgs[0] = 3600;
        claimArgs[1] = SeenFilter.Hashes;
        (claimArgs[2], claimArgs[3], claimArgs[4], claimArgs[5], claimArgs[6], claimArgs[7]) =
            (orderId, order.Fingerprint, order.EncodedLines, string.Join(' ', order.Partitions), "0", "new");
        new SeenFilter(redis.Options.SeenFilterBits).Fill(orderId, claimArgs, 8);
        var claim = (RedisResult[])((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.Claim,
            [keys.Pending(claimHome), keys.Seen(claimHome), keys.Marker(claimHome), keys.Claim(claimHome, orderId)], claimArgs))!)[0]!;
        Assert.Equal("go", (string?)claim[0]);
        var epoch = (long)claim[1];
        Assert.Equal("committed", (string?)((RedisResult[])(await db.ScriptEvaluateAsync(RedisScripts.HoldCommit,
            [keys.Stock(pb), keys.Sequences(pb), keys.Journal(pb), keys.Record(pb, orderId), keys.Marker(pb), keys.HoldRecord(pb, id), keys.Held(pb)],
            [orderId, id, epoch, 3600, Order.FingerprintOf(order.LinesIn(pb, redis.Partitioner), null), ""]))!)[0]);
        var checker = new PersistenceChecker(redis.Connection, redis.Options.KeyPrefix, redis.Options.Partitions, database);
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));

        await db.KeyDeleteAsync(keys.Marker(claimHome));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var retry = await client.PostAsync($"api/reservations/{id}/commit", new { orderId });
        while (retry.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            retry = await client.PostAsync($"api/reservations/{id}/commit", new { orderId });
        }

        Assert.Equal(HttpStatusCode.OK, retry.Status);
        var deduction = await client.GetJsonAsync($"api/deductions/{orderId}");
        Assert.Equal("deducted", deduction.Body!["status"]!.GetValue<string>());
        Assert.Equal(2, deduction.Body["lines"]!.AsArray().Count);
        Assert.Equal(98, await client.AvailableAsync(a));
        Assert.Equal(97, await client.AvailableAsync(b));
        Assert.Equal(0, (await client.GetJsonAsync($"api/stock/{a}")).Body!["reserved"]!.GetValue<long>());

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{orderId}/cancel", new { })).Status);
        Assert.Equal(100, await client.AvailableAsync(a));
        Assert.Equal(100, await client.AvailableAsync(b));
        Assert.Empty(await checker.WaitUntilEqualAsync(TimeSpan.FromSeconds(60)));
        var rows = await database.QueryAsync(
            $"select sku, kind, reference_id, delta from ledger where sku in ('{a}', '{b}') and kind in ('hold', 'commit', 'release', 'expire', 'cancel') order by sku, seq",
            r => $"{r.GetString(0)} {r.GetString(1)} {r.GetString(2)} {r.GetInt64(3)}");
        Assert.Equal([$"{a} hold {id} -2", $"{a} commit {orderId} 0", $"{a} cancel {orderId} 2", $"{b} hold {id} -3", $"{b} commit {orderId} 0", $"{b} cancel {orderId} 3"], rows);
    }
}
