using Microsoft.Extensions.DependencyInjection;
using Parley.Grains.Redis;
using Parley.Testing;
using StackExchange.Redis;

namespace Parley.Grains.Tests.Lifecycle;

/// <summary>The runtime's real Redis connection to a test server, under a key prefix of its own so tests sharing the
/// server never see each other's keys.</summary>
internal sealed class RedisTestServices : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private RedisTestServices(ServiceProvider services, string prefix, IConnectionMultiplexer multiplexer)
    {
        _services = services;
        Prefix = prefix;
        Multiplexer = multiplexer;
    }

    public string Prefix { get; }
    public IRedisConnection Connection => _services.GetRequiredService<IRedisConnection>();
    public IConnectionMultiplexer Multiplexer { get; }
    public IDatabase Database => Multiplexer.GetDatabase();
    public IServiceProvider Services => _services;

    public static async Task<RedisTestServices> StartAsync(RedisServerFixture redis)
    {
        var prefix = "t" + Guid.NewGuid().ToString("N");
        var services = new ServiceCollection()
            .AddLogging()
            .AddRedis(o =>
            {
                o.ConnectionString = redis.ConnectionString;
                o.KeyPrefix = prefix;
            })
            .BuildServiceProvider();
        // Connected up front, so fire-and-forget writes take the synchronous path and stay ordered before later reads.
        var multiplexer = await services.GetRequiredService<IRedisConnection>().GetMultiplexerAsync();
        return new RedisTestServices(services, prefix, multiplexer);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
