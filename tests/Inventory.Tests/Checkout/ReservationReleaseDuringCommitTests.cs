using Inventory.Domain;
using Inventory.Redis;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Checkout;

/// <summary>
/// Red-team (reservations), finding 4: a release while a commit is deciding (home 'committing', the order id not claimed
/// yet) answered 409 committed. The commit may still give up (the order id is another request's): the reservation is
/// held again and is then released or expires, so the release's 409 said committed about a reservation that never was.
/// The commit is staged between its decision (hold_settle.lua commit) and its claim, as a slow or dead process leaves it.
/// </summary>
public sealed class ReservationReleaseDuringCommitTests
{
    [Fact]
    public async Task A_release_during_an_undecided_commit_does_not_answer_committed()
    {
        await using var redis = RedisTarget.Create("standalone");
        var store = redis.Store;
        var sku = "rdc-" + Guid.NewGuid().ToString("N")[..8];
        var id = sku + "-h";
        var orderId = sku + "-o";
        await redis.SetStockAsync(sku, 10);
        Assert.Equal(DeductionStatus.Deducted, (await store.DeductAsync(redis.NewOrder(orderId, (sku, 1)))).Status);
        Assert.Equal(HoldStatus.Held, (await store.HoldAsync(new HoldRequest(id, [new OrderLine(sku, 3)], 600, null))).Status);

        // The commit under an order id another request took has decided, and not claimed yet.
        var keys = new RedisKeys(redis.Options.KeyPrefix);
        var home = redis.Partitioner.HoldHomeOf(id);
        Assert.Equal("ok", (string?)((RedisResult[])(await redis.Connection.GetDatabase().ScriptEvaluateAsync(RedisScripts.HoldSettle,
            [keys.Hold(home, id), keys.HoldExpiry(home)], [id, "commit", 30000, orderId]))!)[0]);

        // before: 409 committed
        Assert.Equal(HoldSettleStatus.Unknown, (await store.ReleaseHoldAsync(id)).Status);

        // The commit gives up: the reservation is held, and a release gives the units back.
        Assert.Equal(HoldSettleStatus.Conflict, (await store.CommitHoldAsync(id, orderId)).Status);
        Assert.Equal(HoldState.Held, (await store.GetHoldAsync(id))!.State);
        Assert.Equal(HoldSettleStatus.Released, (await store.ReleaseHoldAsync(id)).Status);
        Assert.Equal(9, await redis.AvailableAsync(sku));
    }
}
