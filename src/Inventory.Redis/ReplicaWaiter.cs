using System.Collections.Concurrent;
using System.Net;
using StackExchange.Redis;

namespace Inventory.Redis;

/// <summary>
/// Group commit for durable acknowledgements. WAIT covers every earlier write of its connection, and all writes
/// to one primary share the multiplexer's single connection, so callers whose writes have completed share the next
/// WAIT instead of each sending one (which would block the connection once per order).
/// </summary>
internal sealed class ReplicaWaiter(IConnectionMultiplexer redis, int timeoutMilliseconds)
{
    private readonly ConcurrentDictionary<EndPoint, Group> _groups = new();

    public Task<bool> WaitAsync(EndPoint primary) => _groups.GetOrAdd(primary, e => new Group(redis.GetServer(e), timeoutMilliseconds)).JoinAsync();

    private sealed class Group(IServer server, int timeoutMilliseconds)
    {
        private readonly object _lock = new();
        private Task<bool>? _next;

        public Task<bool> JoinAsync()
        {
            lock (_lock)
            {
                return _next ??= SendAsync();
            }
        }

        private async Task<bool> SendAsync()
        {
            // Let callers that finished their writes meanwhile join this WAIT; later ones start the next.
            await Task.Yield();
            lock (_lock)
            {
                _next = null;
            }

            try
            {
                return (long)await server.ExecuteAsync("WAIT", 1, timeoutMilliseconds).ConfigureAwait(false) >= 1;
            }
            catch (Exception e) when (RedisFailures.IsTransient(e))
            {
                return false;
            }
        }
    }
}
