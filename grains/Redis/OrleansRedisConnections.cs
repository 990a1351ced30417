using StackExchange.Redis;

namespace Parley.Grains.Redis;

public static class OrleansRedisConnections
{
    /// <summary>Points one of Orleans' Redis providers (clustering, grain storage, grain directory) at the process's
    /// shared connection, which the provider does not dispose. The parsed configuration goes along too: the providers'
    /// validators insist on it.</summary>
    public static (ConfigurationOptions Configuration, Func<TOptions, Task<(IConnectionMultiplexer, bool)>> CreateMultiplexer) ForOrleans<TOptions>(
        this IRedisConnection connection)
        => (connection.Configuration, async _ => (await connection.GetMultiplexerAsync().ConfigureAwait(false), true));
}
