using Inventory.Domain;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Redis;

/// <summary>A timeout is an unknown outcome: resolved by a back-check, never by deducting twice.</summary>
public class UnknownOutcomeTests
{
    [Theory]
    [InlineData(700)]
    [InlineData(2500)]
    public async Task A_deduction_stuck_behind_client_pause_is_resolved_without_double_deduction(int pauseMilliseconds)
    {
        await using var redis = RedisTarget.Create("standalone", o => o.TimeoutMilliseconds = 400);
        await redis.SetStockAsync("p", 10);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);

        await server.ExecuteAsync("CLIENT", "PAUSE", pauseMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "ALL");
        var first = await redis.Store.DeductAsync(redis.NewOrder("U1", ("p", 2)));
        await Task.Delay(pauseMilliseconds + 200);

        // Short pause: the back-check fences the stuck attempt, a fresh one deducts. Long pause: even the back-check
        // times out, so the answer is unknown (503), and the client's retry with the same id settles it.
        Assert.Contains(first.Status, new[] { DeductionStatus.Deducted, DeductionStatus.Unknown });
        var retry = await redis.Store.DeductAsync(redis.NewOrder("U1", ("p", 2)));
        var again = await redis.Store.DeductAsync(redis.NewOrder("U1", ("p", 2)));

        Assert.Equal(DeductionStatus.Deducted, retry.Status);
        Assert.Equal(retry.Lines, again.Lines);
        Assert.Equal(8, await redis.AvailableAsync("p"));
        var journal = await redis.Journal.ReadAsync(redis.Partitioner.PartitionOf("p"), "0", 100);
        Assert.Single(journal, e => e.ReferenceId == "U1");
    }

    [Fact]
    public async Task A_script_past_its_deadline_does_nothing()
    {
        await using var redis = RedisTarget.Create("standalone");
        await redis.SetStockAsync("d", 10);
        var late = new ShiftedTime(TimeSpan.FromSeconds(-60));

        var outcome = await redis.NewStore(late).DeductAsync(redis.NewOrder("D1", ("d", 1)));

        // The deadline is a minute in the past: the script refuses, the one fresh retry refuses too.
        Assert.Equal(DeductionStatus.Unknown, outcome.Status);
        Assert.Equal(10, await redis.AvailableAsync("d"));
    }

    private sealed class ShiftedTime(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
    }
}
