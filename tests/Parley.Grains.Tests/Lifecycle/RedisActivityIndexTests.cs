using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Parley.Grains.Conversations.Lifecycle;
using Parley.Testing;

namespace Parley.Grains.Tests.Lifecycle;

public sealed class RedisActivityIndexTests(RedisServerFixture redis) : ActivityIndexContractTests, IClassFixture<RedisServerFixture>
{
    private RedisTestServices? _redis;
    private RedisConversationActivityIndex? _index;

    // Long enough that a loaded machine never lets it lapse between two calls of one test.
    protected override TimeSpan ShortLease => TimeSpan.FromMinutes(10);

    protected override async Task<IConversationActivityIndex> CreateIndexAsync()
    {
        _redis = await RedisTestServices.StartAsync(redis);
        _index = new RedisConversationActivityIndex(_redis.Connection, NullLogger<RedisConversationActivityIndex>.Instance);
        return _index;
    }

    protected override async Task DisposeIndexAsync() => await _redis!.DisposeAsync();

    /// <summary>Redis keeps the lease's clock: the test checks that the lease carries its length, then brings its end
    /// forward (PEXPIRE) instead of waiting for real time to pass, and waits for Redis to drop it.</summary>
    protected override async Task LetLeaseExpireAsync(TimeSpan lease)
    {
        var remaining = await _redis!.Database.KeyTimeToLiveAsync(_index!.LeaseKey);
        Assert.InRange(remaining!.Value, lease - TimeSpan.FromSeconds(5), lease);
        await _redis.Database.KeyExpireAsync(_index.LeaseKey, TimeSpan.FromMilliseconds(1));
        var deadline = Stopwatch.StartNew();
        while (await _redis.Database.KeyExistsAsync(_index.LeaseKey))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(5), "Redis did not expire the sweep lease.");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task The_index_is_one_sorted_set_scored_in_unix_milliseconds()
    {
        _index!.Touch("conv_1", T0.AddMilliseconds(1234));
        // The touch is fire-and-forget: a round trip on the same connection ensures Redis has applied it before the
        // test reads over a connection of its own.
        await _redis!.Database.PingAsync();

        Assert.Equal($"{{{_redis!.Prefix}:conversations}}:activity", _index.IndexKey);
        Assert.Equal("zset", await redis.Server.ExecuteAsync(default, "TYPE", _index.IndexKey));
        Assert.Equal((T0.ToUnixTimeMilliseconds() + 1234).ToString(System.Globalization.CultureInfo.InvariantCulture),
            await redis.Server.ExecuteAsync(default, "ZSCORE", _index.IndexKey, "conv_1"));
    }

    [Fact]
    public async Task The_lease_key_names_its_owner_and_expires_after_the_lease()
    {
        var lease = TimeSpan.FromMinutes(1);
        Assert.True(await Index.TryLeaseSweepAsync("silo-a", lease));
        Assert.False(await Index.TryLeaseSweepAsync("silo-b", TimeSpan.FromMinutes(30)));

        Assert.Equal("silo-a", await redis.Server.ExecuteAsync(default, "GET", _index!.LeaseKey));
        var ttl = long.Parse((await redis.Server.ExecuteAsync(default, "PTTL", _index.LeaseKey))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ttl, 1, (long)lease.TotalMilliseconds);

        // Renewal by the holder sets the new length; another owner's attempt left it alone.
        Assert.True(await Index.TryLeaseSweepAsync("silo-a", TimeSpan.FromMinutes(10)));
        ttl = long.Parse((await redis.Server.ExecuteAsync(default, "PTTL", _index.LeaseKey))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ttl, (long)lease.TotalMilliseconds + 1, (long)TimeSpan.FromMinutes(10).TotalMilliseconds);
    }
}
