using System.Text;
using System.Text.Json;
using Azure.Core;
using Inventory.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Inventory.Api.Hosting;

/// <summary>
/// Microsoft Entra ID for Azure Managed Redis without Microsoft.Azure.StackExchangeRedis: an access token for
/// https://redis.azure.com as the password, the identity's object id (the token's oid claim) as the user.
/// </summary>
public sealed class EntraRedisCredentialSource(TokenCredential credential) : IRedisCredentialSource
{
    private static readonly TokenRequestContext Context = new(["https://redis.azure.com/.default"]);

    public async Task<RedisCredential> GetAsync(CancellationToken cancellationToken = default)
    {
        var token = await credential.GetTokenAsync(Context, cancellationToken).ConfigureAwait(false);
        return new RedisCredential(ObjectIdOf(token.Token), token.Token, token.ExpiresOn);
    }

    internal static string ObjectIdOf(string jwt)
    {
        var payload = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
        return document.RootElement.GetProperty("oid").GetString() ?? throw new InvalidOperationException("The Redis access token has no oid claim.");
    }
}

/// <summary>The rotating-credential state of the one multiplexer, when Redis uses one.</summary>
public sealed class RedisAuthentication
{
    public RedisReauthenticator? Reauthenticator { get; set; }

    public RedisCredential? Current { get; set; }
}

/// <summary>Re-authenticates before the credential expires; on failure tries again soon, while the old one still holds.</summary>
// Takes the multiplexer so it exists (and the credential state is set) before the loop starts.
public sealed partial class RedisReauthenticationLoop(StackExchange.Redis.IConnectionMultiplexer redis, RedisAuthentication state, TimeProvider time, ILogger<RedisReauthenticationLoop> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (state.Reauthenticator is null || state.Current is null)
        {
            return;
        }

        LogRotating(logger, redis.GetEndPoints().Length);

        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(RedisReauthenticator.NextRefresh(state.Current, time.GetUtcNow()), time, stoppingToken).ConfigureAwait(false);
            try
            {
                state.Current = await state.Reauthenticator.RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(10), time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis credential rotates; keeping {Endpoints} endpoints authenticated")]
    private static partial void LogRotating(ILogger logger, int endpoints);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the Redis credential failed ({Error}); retrying in 10 s")]
    private static partial void LogFailed(ILogger logger, string error);
}
