using System.Diagnostics;
using Inventory.LoadDriver;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;

namespace Inventory.Tests.Faults;

/// <summary>The fault proxy between a client and the standalone Redis: forwards, delays, stalls, drops, refuses.</summary>
public class FaultProxyTests
{
    [Fact]
    public async Task Forwards_delays_stalls_and_drops_on_command()
    {
        await using var proxy = FaultProxy.Start(0, TestEnvironment.Redis);
        var config = ConfigurationOptions.Parse($"127.0.0.1:{proxy.Port}");
        config.AbortOnConnectFail = false;
        config.AsyncTimeout = 1000;
        config.ConnectRetry = 1;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(config);
        var db = redis.GetDatabase();
        await db.PingAsync();
        Assert.True(proxy.Connections >= 1);

        proxy.Delay = TimeSpan.FromMilliseconds(150);
        var watch = Stopwatch.StartNew();
        await db.PingAsync();
        Assert.True(watch.ElapsedMilliseconds >= 250, $"a round trip through a 150 ms delay each way took {watch.ElapsedMilliseconds} ms");

        proxy.Resume();
        proxy.Stall();
        Assert.StartsWith("ok stalled", proxy.Execute("status"));
        await Assert.ThrowsAsync<RedisTimeoutException>(() => db.PingAsync());
        proxy.Resume();
        await WaitForPingAsync(db);

        Assert.StartsWith("ok dropped", proxy.Execute("drop"));
        await WaitForPingAsync(db);
        Assert.StartsWith("error", proxy.Execute("explode"));
    }

    private static async Task WaitForPingAsync(IDatabase db)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                await db.PingAsync();
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
