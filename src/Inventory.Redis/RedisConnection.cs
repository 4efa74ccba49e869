using StackExchange.Redis;

namespace Inventory.Redis;

public static class RedisConnection
{
    public static ConfigurationOptions Options(RedisOptions options)
    {
        var config = ConfigurationOptions.Parse(options.Configuration);
        config.AbortOnConnectFail = false;
        config.AsyncTimeout = options.TimeoutMilliseconds;
        config.SyncTimeout = options.TimeoutMilliseconds;
        config.ConnectTimeout = Math.Max(config.ConnectTimeout, 5000);
        config.ClientName ??= "inventory";
        return config;
    }

    /// <summary>One multiplexer per process: concurrent callers pipeline through it.</summary>
    public static IConnectionMultiplexer Connect(RedisOptions options) => ConnectionMultiplexer.Connect(Options(options));

    /// <summary>Connects with a rotating credential; the returned options are the ones to keep updating.</summary>
    public static (IConnectionMultiplexer Connection, ConfigurationOptions Options) Connect(RedisOptions options, RedisCredential credential)
    {
        var config = Options(options);
        config.User = credential.User;
        config.Password = credential.Password;
        return (ConnectionMultiplexer.Connect(config), config);
    }
}
