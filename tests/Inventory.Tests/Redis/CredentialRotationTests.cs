using Inventory.Domain;
using Inventory.Persistence;
using Inventory.Redis;
using Inventory.Tests.Infrastructure;
using StackExchange.Redis;
using Order = Inventory.Domain.Order;

namespace Inventory.Tests.Redis;

/// <summary>
/// Entra tokens expire and are replaced; here a local ACL user's password is rotated the same way while load runs,
/// and its connections are killed after each rotation: no request may fail.
/// </summary>
public class CredentialRotationTests
{
    [Fact]
    public async Task Rotating_the_password_under_load_and_dropping_connections_fails_no_request()
    {
        var user = "rot" + Guid.NewGuid().ToString("N")[..8];
        await using var admin = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var source = new RotatingAclPassword(server, user);
        var options = new RedisOptions { SeenFilterBits = TestEnvironment.SeenFilterBits, Configuration = TestEnvironment.Redis, KeyPrefix = TestEnvironment.UniquePrefix("r") };
        var (connection, config) = RedisConnection.Connect(options, await source.GetAsync());
        await using var _ = connection;
        var reauthenticator = new RedisReauthenticator(connection, config, source);
        var guard = new RedisPartitionGuard(connection, options);
        foreach (var partition in await guard.FindUnmarkedAsync())
        {
            await guard.MarkAsync(partition);
        }

        var partitioner = new Partitioner(options.Partitions);
        var store = new RedisInventoryStore(connection, options, partitioner, new JournalActivity(options.Partitions), TimeProvider.System);
        await store.SetStockAsync("rot", 1_000_000, null);

        using var stop = new CancellationTokenSource();
        var failures = 0;
        var accepted = 0;
        var next = 0;
        var load = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var outcome = await store.DeductAsync(Order.Create(new DeductionRequest($"rot-{Interlocked.Increment(ref next)}", [new OrderLine("rot", 1)]), partitioner));
                if (outcome.Status == DeductionStatus.Deducted)
                {
                    Interlocked.Increment(ref accepted);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();

        for (var rotation = 0; rotation < 3; rotation++)
        {
            await Task.Delay(400);
            var previous = source.Current;
            await reauthenticator.RefreshAsync();
            await server.ExecuteAsync("ACL", "SETUSER", user, "<" + previous);
            await server.ExecuteAsync("CLIENT", "KILL", "USER", user);
        }

        await Task.Delay(400);
        await stop.CancelAsync();
        await Task.WhenAll(load);
        var left = (await store.GetStockAsync(["rot"]))[0]!.Available;

        // Deleting the user also disconnects it, so only after the last read.
        await server.ExecuteAsync("ACL", "DELUSER", user);
        Assert.Equal(0, failures);
        Assert.True(accepted > 100, $"only {accepted} deductions ran");
        Assert.Equal(1_000_000 - accepted, left);
    }

    /// <summary>Each call adds a new password to the ACL user (the old one stays until the test removes it).</summary>
    private sealed class RotatingAclPassword(IServer server, string user) : IRedisCredentialSource
    {
        public string Current { get; private set; } = "";

        public async Task<RedisCredential> GetAsync(CancellationToken cancellationToken = default)
        {
            Current = Guid.NewGuid().ToString("N");
            await server.ExecuteAsync("ACL", "SETUSER", user, "on", ">" + Current, "~*", "+@all");
            return new RedisCredential(user, Current, DateTimeOffset.UtcNow.AddMinutes(1));
        }
    }
}

public class EntraCredentialTests
{
    [Fact]
    public void The_redis_user_is_the_tokens_object_id()
    {
        static string Part(string json) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var jwt = $"{Part("""{"alg":"none"}""")}.{Part("""{"oid":"6f1c2a3b-0000-4d5e-9f00-abcdef012345","aud":"https://redis.azure.com"}""")}.sig";

        Assert.Equal("6f1c2a3b-0000-4d5e-9f00-abcdef012345", Inventory.Api.Hosting.EntraRedisCredentialSource.ObjectIdOf(jwt));
    }
}
