using Microsoft.Extensions.DependencyInjection;
using Parley.Grains.Redis;
using Parley.Grains.UpstreamKeys;
using Parley.Silo.Providers;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Providers;

/// <summary>A lesson another silo writes of a quiet key reaches this silo through Redis at once: its next call asks the
/// store, long before the recheck. Two silos are two connections under one prefix; the clock is manual and never
/// reaches the recheck.</summary>
public sealed class UpstreamKeyLessonWatchTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N");
    private readonly ManualTimeProvider _clock = new();
    private ServiceProvider _first = null!;
    private ServiceProvider _second = null!;

    public async Task InitializeAsync()
    {
        _first = RedisConnections.Connect(redis.ConnectionString, _prefix);
        _second = RedisConnections.Connect(redis.ConnectionString, _prefix);
        await _first.GetRequiredService<IRedisConnection>().GetMultiplexerAsync();
        await _second.GetRequiredService<IRedisConnection>().GetMultiplexerAsync();
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    [Fact]
    public async Task A_block_another_silo_writes_ends_this_silos_trust_in_the_key_before_the_recheck()
    {
        var thisSilo = new RedisUpstreamKeyStore(_first.GetRequiredService<IRedisConnection>());
        var otherSilo = new RedisUpstreamKeyStore(_second.GetRequiredService<IRedisConnection>());
        var pool = Pool(thisSilo, new UpstreamKeyOptions { Id = "free", ApiKey = "sk-free" },
            new UpstreamKeyOptions { Id = "paced", ApiKey = "sk-paced", RequestsPerMinute = 600 });
        var keys = UpstreamKeyLessonWatch.QuietKeys([pool]);
        Assert.Equal(["up/free"], keys.Keys);
        await using var watch = await UpstreamKeyLessonWatch.WatchAsync(keys, thisSilo, CancellationToken.None);
        var free = pool.Keys[0];
        var skipPaced = 1UL << 1;

        Assert.True((await AcquireAsync(pool, skipPaced)).IsPaced);
        Assert.False((await AcquireAsync(pool, skipPaced)).IsPaced);
        Assert.True(free.IsQuietAt(_clock.GetTimestamp()));

        // A lesson of the other key is none of this one's.
        await otherSilo.BlockAsync("up/paced", _clock.GetUtcNow() + TimeSpan.FromSeconds(5), "429 seen by the other silo");
        // The other silo was answered 429 on the free key: this one hears of it and asks the store, which refuses.
        var epoch = free.QuietEpoch;
        await otherSilo.BlockAsync(free.GrainKey, _clock.GetUtcNow() + TimeSpan.FromSeconds(5), "429 seen by the other silo");
        await Poll.UntilAsync(() => free.QuietEpoch != epoch, "the lesson reaches this silo", Bound);
        Assert.Equal(epoch + 1, free.QuietEpoch);
        Assert.False(free.IsQuietAt(_clock.GetTimestamp()));
        await Assert.ThrowsAsync<UpstreamCapacityException>(() => AcquireAsync(pool, skipPaced).AsTask());

        // The block is over: found usable once, then trusted again.
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await AcquireAsync(pool, skipPaced)).IsPaced);
        Assert.False((await AcquireAsync(pool, skipPaced)).IsPaced);
    }

    [Fact]
    public async Task A_pool_that_trusts_no_key_needs_no_watch()
    {
        var store = new MemoryUpstreamKeyStore();
        var paced = Pool(store, new UpstreamKeyOptions { Id = "a", ApiKey = "sk-a", RequestsPerMinute = 60 });
        var unlimitedButAskedEveryCall = Pool(store, TimeSpan.Zero, new UpstreamKeyOptions { Id = "b", ApiKey = "sk-b" });
        Assert.Empty(UpstreamKeyLessonWatch.QuietKeys([paced, unlimitedButAskedEveryCall]));
    }

    private UpstreamKeyPool Pool(IUpstreamKeyStore store, params UpstreamKeyOptions[] keys) => Pool(store, TimeSpan.FromSeconds(1), keys);

    private UpstreamKeyPool Pool(IUpstreamKeyStore store, TimeSpan recheck, params UpstreamKeyOptions[] keys)
        => UpstreamKeyPoolQuietTests.Pool(store, _clock, recheck, keys);

    private ValueTask<KeyLease> AcquireAsync(UpstreamKeyPool pool, ulong skip)
        => pool.AcquireAsync(0, _clock.GetUtcNow() + TimeSpan.FromSeconds(1), skip, CancellationToken.None);
}
