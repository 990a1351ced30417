using Microsoft.Extensions.Options;
using Parley.Silo.Cache;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Cache;

/// <summary>The memory store's bound: least recently used entries go first, and the bound always holds.</summary>
public sealed class MemoryResponseCacheStoreTests
{
    private const int BodyBytes = 1000;
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);
    private static readonly long EntryBytes = MemoryResponseCacheStore.SizeOf("k0", Entry());

    private static CachedResponse Entry() => new(CacheTestKit.Json, new byte[BodyBytes]);

    private static MemoryResponseCacheStore Store(long maxBytes, TimeProvider? time = null)
        => new(Options.Create(new ResponseCacheOptions { MaxMemoryBytes = maxBytes, MaxEntryBytes = 1 }), time ?? new ManualTimeProvider());

    private static async Task<bool> HasAsync(MemoryResponseCacheStore store, string key) => await store.GetAsync(key, CancellationToken.None) is not null;

    [Fact]
    public async Task The_least_recently_used_entry_is_evicted_when_the_bound_is_reached()
    {
        var store = Store(3 * EntryBytes);
        await store.SetAsync("k0", Entry(), Ttl, CancellationToken.None);
        await store.SetAsync("k1", Entry(), Ttl, CancellationToken.None);
        await store.SetAsync("k2", Entry(), Ttl, CancellationToken.None);
        Assert.True(await HasAsync(store, "k0")); // k0 is now the most recently used, k1 the least
        await store.SetAsync("k3", Entry(), Ttl, CancellationToken.None);
        Assert.False(await HasAsync(store, "k1"));
        Assert.True(await HasAsync(store, "k0"));
        Assert.True(await HasAsync(store, "k2"));
        Assert.True(await HasAsync(store, "k3"));
        Assert.Equal(3, store.Count);
        Assert.Equal(3 * EntryBytes, store.SizeBytes);
    }

    [Fact]
    public async Task The_bound_holds_under_concurrent_writers()
    {
        // Every key here has the same length, so every entry costs the same.
        var entryBytes = MemoryResponseCacheStore.SizeOf("w0-00", Entry());
        var store = Store(50 * entryBytes);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                await store.SetAsync($"w{w}-{i % 80:D2}", Entry(), Ttl, CancellationToken.None);
                await store.GetAsync($"w{(w + 1) % 4}-{i % 80:D2}", CancellationToken.None);
                Assert.True(store.SizeBytes <= 50 * entryBytes);
            }
        })));
        Assert.Equal(50, store.Count);
        Assert.Equal(50 * entryBytes, store.SizeBytes);
    }

    [Fact]
    public async Task An_entry_larger_than_the_bound_is_not_kept_and_replaces_nothing_else()
    {
        var store = Store(2 * EntryBytes);
        await store.SetAsync("k0", Entry(), Ttl, CancellationToken.None);
        await store.SetAsync("big", new CachedResponse(CacheTestKit.Json, new byte[3 * BodyBytes]), Ttl, CancellationToken.None);
        Assert.False(await HasAsync(store, "big"));
        Assert.True(await HasAsync(store, "k0"));
        Assert.Equal(EntryBytes, store.SizeBytes);
    }

    [Fact]
    public async Task Replacing_an_entry_counts_its_size_once()
    {
        var store = Store(10 * EntryBytes);
        await store.SetAsync("k0", Entry(), Ttl, CancellationToken.None);
        await store.SetAsync("k0", Entry(), Ttl, CancellationToken.None);
        Assert.Equal(1, store.Count);
        Assert.Equal(EntryBytes, store.SizeBytes);
    }

    [Fact]
    public async Task An_expired_entry_is_dropped_when_read_and_frees_its_bytes()
    {
        var time = new ManualTimeProvider();
        var store = Store(10 * EntryBytes, time);
        await store.SetAsync("k0", Entry(), TimeSpan.FromSeconds(1), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await HasAsync(store, "k0"));
        Assert.Equal(0, store.Count);
        Assert.Equal(0, store.SizeBytes);
    }
}
