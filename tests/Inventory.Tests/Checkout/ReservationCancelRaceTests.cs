using System.Net;
using Inventory.Domain;
using Inventory.Tests.Http;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Checkout;

/// <summary>
/// A cancel of the order racing its own commit, staged in Redis: the cancel's revert reached one partition before the
/// conversion (its record says cancelled), the other converts. The commit gives up (409 conflict), releases what is
/// still held, and once the cancel finishes every unit is back exactly once.
/// </summary>
public sealed class ReservationCancelRaceTests(StandaloneServer fixture) : IClassFixture<StandaloneServer>
{
    [Fact]
    public async Task A_commit_overtaken_by_its_orders_cancel_in_one_partition_gives_every_unit_back_once()
    {
        var server = fixture.Server;
        var (a, b) = ReturnTests.TwoPartitions("hcx");
        await server.SetStockAsync(a, 10);
        await server.SetStockAsync(b, 10);
        using var client = server.CreateClient();
        var id = "h-" + a;
        var order = "o-" + a;
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("api/reservations", ReservationTests.Hold(id, 600, (a, 2), (b, 3)))).Status);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        var partitioner = new Partitioner(16);
        await redis.GetDatabase().HashSetAsync($"{{{server.KeyPrefix}:{partitioner.PartitionOf(a)}}}:o:{order}", [new("st", "cancelled"), new("cres", "")]);

        var commit = await client.PostAsync($"api/reservations/{id}/commit", new { orderId = order });
        var replay = await client.PostAsync($"api/reservations/{id}/commit", new { orderId = order });
        var release = await client.PostAsync($"api/reservations/{id}/release", new { });
        Assert.Equal(HttpStatusCode.Conflict, commit.Status);
        Assert.Equal("conflict", commit.Body!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, replay.Status);
        Assert.Equal("committed", release.Body!["status"]!.GetValue<string>());
        Assert.Equal(10, await client.AvailableAsync(a));
        Assert.Equal(0, (await client.GetJsonAsync($"api/stock/{b}")).Body!["reserved"]!.GetValue<long>());

        // The cancel that raced it finishes: b's converted units come back, a's (released above) do not come back twice.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"api/deductions/{order}/cancel", new { })).Status);
        Assert.Equal(10, await client.AvailableAsync(a));
        Assert.Equal(10, await client.AvailableAsync(b));
    }

    /// <summary>
    /// A commit converted every partition; before it stored its answer, the order was cancelled and a retry of the
    /// commit met the cancelled order and stored 409. The first attempt must answer what was stored (before: 200,
    /// while every replay answers 409).
    /// </summary>
    [Fact]
    public async Task A_commit_whose_retry_stored_conflict_first_answers_the_stored_conflict_not_200()
    {
        await using var redis = RedisTarget.Create("standalone");
        var (a, b) = ReturnTests.TwoPartitions("hcr");
        await redis.SetStockAsync(a, 10);
        await redis.SetStockAsync(b, 10);
        var id = "h-" + a;
        var order = "o-" + a;
        Assert.Equal(HoldStatus.Held, (await redis.Store.HoldAsync(new HoldRequest(id, [new OrderLine(a, 2), new OrderLine(b, 3)], 600, null))).Status);

        var other = redis.NewStore();
        HoldSettleOutcome? retry = null;
        redis.Store.BeforeCommitSettles = async () =>
        {
            redis.Store.BeforeCommitSettles = null;
            Assert.Equal(CancelStatus.Cancelled, (await other.CancelAsync(order)).Status);
            retry = await other.CommitHoldAsync(id, order);
        };
        var first = await redis.Store.CommitHoldAsync(id, order);
        var replay = await other.CommitHoldAsync(id, order);

        Assert.Equal(HoldSettleStatus.Conflict, retry!.Status);
        Assert.Equal(HoldSettleStatus.Conflict, replay.Status);
        Assert.Equal(HoldSettleStatus.Conflict, first.Status);
        Assert.Equal(10, await redis.AvailableAsync(a));
        Assert.Equal(10, await redis.AvailableAsync(b));
    }
}
