using Microsoft.Extensions.DependencyInjection;
using Parley.Grains.Redis;
using Parley.Grains.UpstreamKeys;
using Parley.Testing;

namespace Parley.Grains.Tests.UpstreamKeys;

public sealed class RedisUpstreamKeyStoreTests(RedisServerFixture redis) : UpstreamKeyStoreContractTests, IClassFixture<RedisServerFixture>
{
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N");
    private ServiceProvider? _first;
    private ServiceProvider? _second;

    protected override async Task<(IUpstreamKeyStore First, IUpstreamKeyStore Second)> CreateStoresAsync()
    {
        // Two connections under one prefix: two silos of one cluster.
        _first = Connect();
        _second = Connect();
        var first = _first.GetRequiredService<IRedisConnection>();
        var second = _second.GetRequiredService<IRedisConnection>();
        // Connected up front, so fire-and-forget releases are ordered before the next command on the same connection.
        await first.GetMultiplexerAsync();
        await second.GetMultiplexerAsync();
        return (new RedisUpstreamKeyStore(first), new RedisUpstreamKeyStore(second));
    }

    public override async Task DisposeAsync()
    {
        await _first!.DisposeAsync();
        await _second!.DisposeAsync();
    }

    private ServiceProvider Connect() => new ServiceCollection()
        .AddLogging()
        .AddRedis(o =>
        {
            o.ConnectionString = redis.ConnectionString;
            o.KeyPrefix = _prefix;
        })
        .BuildServiceProvider();

    [Fact]
    public async Task One_hash_slot_per_pool_with_per_key_suffixes()
    {
        await Store.DisableAsync(Key, "401");
        var store = (RedisUpstreamKeyStore)Store;
        var keys = store.KeysOf(Key).Select(k => (string)k!).ToArray();
        Assert.Equal([$"{{{_prefix}:uppool:sim}}:a:state", $"{{{_prefix}:uppool:sim}}:a:leases", $"{{{_prefix}:uppool:sim}}:a:errors"], keys);
        Assert.Equal($"{{{_prefix}:uppool:sim}}:rr", (string)store.RoundRobinOf("sim")!);
        Assert.Equal("{" + _prefix + ":uppool:sim}:b:state", (string)store.KeysOf("sim/b")[0]!);
        Assert.Equal("401", await redis.Server.ExecuteAsync(default, "HGET", keys[0], "dr"));
    }

    [Fact]
    public async Task A_key_of_another_provider_is_refused_by_the_pool_script()
    {
        var request = new PoolPacingRequest(Time.UtcNow, Time.UtcNow, new[] { new PoolKeyPacing("other/a", TimeSpan.Zero, TimeSpan.Zero, 0, 1) },
            "l", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Store.AcquireAnyAsync("sim", request));
    }
}
