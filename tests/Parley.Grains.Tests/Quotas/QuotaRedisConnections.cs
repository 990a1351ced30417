using Microsoft.Extensions.DependencyInjection;
using Parley.Grains.Redis;
using Parley.Testing;

namespace Parley.Grains.Tests.Quotas;

/// <summary>Runtime Redis connections (each its own multiplexer, as two silos would have) sharing one key prefix of
/// their own, so tests sharing the server never see each other's keys.</summary>
internal sealed class QuotaRedisConnections : IAsyncDisposable
{
    private readonly List<ServiceProvider> _providers = [];

    public QuotaRedisConnections(RedisServerFixture redis)
    {
        Redis = redis;
    }

    public RedisServerFixture Redis { get; }

    public string Prefix { get; } = "t" + Guid.NewGuid().ToString("N");

    public async Task<IRedisConnection> ConnectAsync()
    {
        var provider = new ServiceCollection()
            .AddLogging()
            .AddRedis(o =>
            {
                o.ConnectionString = Redis.ConnectionString;
                o.KeyPrefix = Prefix;
            })
            .BuildServiceProvider();
        _providers.Add(provider);
        var connection = provider.GetRequiredService<IRedisConnection>();
        await connection.GetMultiplexerAsync();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }
}
