using StackExchange.Redis;

namespace Inventory.Redis;

/// <summary>A Redis user and its current secret (an Entra access token, or a rotated ACL password), with its expiry.</summary>
public sealed record RedisCredential(string User, string Password, DateTimeOffset ExpiresOn);

/// <summary>Where rotating credentials come from: Microsoft Entra ID in Azure, anything that rotates in tests.</summary>
public interface IRedisCredentialSource
{
    Task<RedisCredential> GetAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Keeps a multiplexer authenticated while its credential rotates: new connections use the credential in the
/// <see cref="ConfigurationOptions"/> the multiplexer was created with (StackExchange.Redis reads it on reconnect),
/// and live connections are re-authenticated with AUTH before the old credential expires, so no request fails.
/// </summary>
public sealed class RedisReauthenticator(IConnectionMultiplexer redis, ConfigurationOptions options, IRedisCredentialSource source)
{
    public async Task<RedisCredential> RefreshAsync(CancellationToken cancellationToken = default)
    {
        var credential = await source.GetAsync(cancellationToken).ConfigureAwait(false);
        options.User = credential.User;
        options.Password = credential.Password;
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (server.IsConnected)
            {
                await server.ExecuteAsync("AUTH", credential.User, credential.Password).ConfigureAwait(false);
            }
        }

        return credential;
    }

    /// <summary>When to refresh next: well before expiry (a quarter of the remaining lifetime, at most 5 minutes).</summary>
    public static TimeSpan NextRefresh(RedisCredential credential, DateTimeOffset now)
    {
        var left = credential.ExpiresOn - now;
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMinutes(5).Ticks, left.Ticks / 4));
        return left - margin > TimeSpan.FromSeconds(1) ? left - margin : TimeSpan.FromSeconds(1);
    }
}
