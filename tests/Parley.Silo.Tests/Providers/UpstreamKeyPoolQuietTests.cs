using Microsoft.Extensions.Logging.Abstractions;
using Parley.Grains.UpstreamKeys;
using Parley.Silo.Providers;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Providers;

/// <summary>Keys without limits are not paced: once the store found one usable, calls start on it without asking
/// until <see cref="KeyPoolOptions.UnlimitedKeyRecheck"/> is up or this silo learns something of it. The pool is
/// driven directly on a manual clock; the store's acquisitions are counted.</summary>
public sealed class UpstreamKeyPoolQuietTests
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);

    /// <summary>A pool of <paramref name="keys"/> on <paramref name="store"/> (no grains: nothing is reported to them).</summary>
    internal static UpstreamKeyPool Pool(IUpstreamKeyStore store, TimeProvider time, TimeSpan recheck, params UpstreamKeyOptions[] keys)
        => new("up", new ProviderOptions
        {
            BaseUrl = "http://127.0.0.1:1/v1",
            Keys = [.. keys],
            Pool = new KeyPoolOptions { UnlimitedKeyRecheck = recheck },
        }, store, grains: null!, time, NullLogger.Instance);

    private static ValueTask<KeyLease> AcquireAsync(UpstreamKeyPool pool, ManualTimeProvider clock)
        => pool.AcquireAsync(0, clock.GetUtcNow() + TimeSpan.FromSeconds(1), 0, CancellationToken.None);

    [Fact]
    public async Task An_unlimited_key_found_usable_is_called_without_the_store_until_the_recheck_or_until_this_silo_learns_of_it()
    {
        var clock = new ManualTimeProvider();
        var memory = new MemoryUpstreamKeyStore();
        var store = new LateAnsweringStore(memory, clock, TimeSpan.Zero);
        var pool = Pool(store, clock, Recheck, new UpstreamKeyOptions { Id = "k", ApiKey = "sk-k" });
        var key = pool.Keys[0];

        Assert.True((await AcquireAsync(pool, clock)).IsPaced);
        Assert.Equal(1, store.Acquisitions);
        for (var i = 0; i < 9; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            var lease = await AcquireAsync(pool, clock);
            Assert.Same(key, lease.Key);
            Assert.False(lease.IsPaced);
            Assert.Null(lease.LeaseId);
        }
        Assert.Equal(1, store.Acquisitions);

        // Another silo was answered 429 on the key: this one goes on until its recheck, then asks and waits out the block.
        await memory.BlockAsync(key.GrainKey, clock.GetUtcNow() + TimeSpan.FromSeconds(5), "429 seen by another silo");
        Assert.False((await AcquireAsync(pool, clock)).IsPaced);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAsync<UpstreamCapacityException>(() => AcquireAsync(pool, clock).AsTask());
        Assert.Equal(2, store.Acquisitions);
        await Assert.ThrowsAsync<UpstreamCapacityException>(() => AcquireAsync(pool, clock).AsTask());
        Assert.Equal(3, store.Acquisitions);

        // The block is over: found usable once, then trusted again.
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await AcquireAsync(pool, clock)).IsPaced);
        Assert.False((await AcquireAsync(pool, clock)).IsPaced);
        Assert.Equal(4, store.Acquisitions);

        // This silo learnt something of the key (the provider ends its quiet on any answer worth reporting): ask at once.
        key.EndQuiet();
        Assert.True((await AcquireAsync(pool, clock)).IsPaced);
        Assert.Equal(5, store.Acquisitions);

        // Known disabled (a 401 here): the store is asked, and says so.
        UpstreamKeyPool.MarkDisabled(key, disabled: true);
        await memory.DisableAsync(key.GrainKey, "401");
        await Assert.ThrowsAsync<UpstreamCapacityException>(() => AcquireAsync(pool, clock).AsTask());
        Assert.Equal(6, store.Acquisitions);
    }

    [Fact]
    public async Task An_answer_asked_for_before_this_silo_learnt_of_the_key_does_not_make_it_trusted()
    {
        var clock = new ManualTimeProvider();
        var store = new LateAnsweringStore(new MemoryUpstreamKeyStore(), clock, TimeSpan.Zero);
        var pool = Pool(store, clock, Recheck, new UpstreamKeyOptions { Id = "k", ApiKey = "sk-k" });
        var key = pool.Keys[0];
        // A 429 on another call of this silo is reported while the acquisition is out.
        store.DuringAcquisition = key.EndQuiet;

        Assert.True((await AcquireAsync(pool, clock)).IsPaced);
        Assert.True((await AcquireAsync(pool, clock)).IsPaced);
        Assert.Equal(2, store.Acquisitions);

        store.DuringAcquisition = null;
        Assert.True((await AcquireAsync(pool, clock)).IsPaced);
        Assert.False((await AcquireAsync(pool, clock)).IsPaced);
        Assert.Equal(3, store.Acquisitions);
    }

    [Fact]
    public async Task A_pool_with_a_limited_key_or_no_recheck_asks_the_store_on_every_call()
    {
        var clock = new ManualTimeProvider();
        var mixed = new LateAnsweringStore(new MemoryUpstreamKeyStore(), clock, TimeSpan.Zero);
        var pool = Pool(mixed, clock, Recheck,
            new UpstreamKeyOptions { Id = "free", ApiKey = "sk-a" },
            new UpstreamKeyOptions { Id = "bounded", ApiKey = "sk-b", MaxConcurrent = 100 });
        var everyCall = new LateAnsweringStore(new MemoryUpstreamKeyStore(), clock, TimeSpan.Zero);
        var always = Pool(everyCall, clock, TimeSpan.Zero, new UpstreamKeyOptions { Id = "k", ApiKey = "sk-k" });

        var keys = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var lease = await AcquireAsync(pool, clock);
            Assert.True(lease.IsPaced);
            keys.Add(lease.Key.Id);
            pool.Release(lease.Key, lease.LeaseId);
            Assert.True((await AcquireAsync(always, clock)).IsPaced);
        }

        Assert.Equal(6, mixed.Acquisitions);
        Assert.Equal(6, everyCall.Acquisitions);
        // The store's round robin still spreads the mixed pool's calls.
        Assert.Equal(3, keys.Count(k => k == "free"));
    }
}
