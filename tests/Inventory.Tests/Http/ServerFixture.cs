using Inventory.Tests.Infrastructure;

namespace Inventory.Tests.Http;

/// <summary>One plain server per Redis flavour, shared by the HTTP tests of a class.</summary>
public sealed class StandaloneServer() : ServerFixture(TestEnvironment.Redis);

public sealed class ClusterServer() : ServerFixture(TestEnvironment.RedisCluster);

public abstract class ServerFixture(string redis) : IAsyncLifetime
{
    public ServerProcess Server { get; } = new(redis, TestEnvironment.UniquePrefix("h"));

    public Task InitializeAsync() => Server.StartAsync();

    public Task DisposeAsync() => Server.DisposeAsync().AsTask();
}
