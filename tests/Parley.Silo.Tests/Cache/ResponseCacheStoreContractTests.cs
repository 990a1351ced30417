using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.Grains.Redis;
using Parley.Silo.Cache;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Cache;

/// <summary>The same contract for every response cache store: memory and Redis must agree.</summary>
public abstract class ResponseCacheStoreContractTests
{
    protected static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private protected abstract Task<IResponseCacheStore> CreateStoreAsync();

    /// <summary>Asserts that <paramref name="key"/>, stored with <see cref="Ttl"/>, is gone once the TTL has passed.</summary>
    private protected abstract Task AssertExpiresAfterTtlAsync(IResponseCacheStore store, string key);

    private protected static CachedResponse Response(string body, string contentType = CacheTestKit.Json) => new(contentType, Encoding.UTF8.GetBytes(body));

    [Fact]
    public async Task A_stored_response_is_read_back_exactly()
    {
        var store = await CreateStoreAsync();
        var body = new byte[70_000];
        new Random(7).NextBytes(body);
        await store.SetAsync("k1", new CachedResponse("text/event-stream; charset=utf-8", body), Ttl, CancellationToken.None);
        var read = await store.GetAsync("k1", CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal("text/event-stream; charset=utf-8", read.ContentType);
        Assert.Equal(body, read.Body);
    }

    [Fact]
    public async Task A_missing_key_is_null()
    {
        var store = await CreateStoreAsync();
        await store.SetAsync("k1", Response("{}"), Ttl, CancellationToken.None);
        Assert.Null(await store.GetAsync("k2", CancellationToken.None));
    }

    [Fact]
    public async Task Setting_again_replaces_the_entry()
    {
        var store = await CreateStoreAsync();
        await store.SetAsync("k1", Response("{\"v\":1}"), Ttl, CancellationToken.None);
        await store.SetAsync("k1", Response("{\"v\":2}", "application/json; charset=utf-8"), Ttl, CancellationToken.None);
        var read = await store.GetAsync("k1", CancellationToken.None);
        Assert.Equal("{\"v\":2}", Encoding.UTF8.GetString(read!.Body));
        Assert.Equal("application/json; charset=utf-8", read.ContentType);
    }

    [Fact]
    public async Task An_empty_content_type_and_non_ascii_content_round_trip()
    {
        var store = await CreateStoreAsync();
        await store.SetAsync("k1", Response("{\"content\":\"héllo 世界\"}", ""), Ttl, CancellationToken.None);
        var read = await store.GetAsync("k1", CancellationToken.None);
        Assert.Equal("", read!.ContentType);
        Assert.Equal("{\"content\":\"héllo 世界\"}", Encoding.UTF8.GetString(read.Body));
    }

    [Fact]
    public async Task An_entry_expires_after_its_ttl()
    {
        var store = await CreateStoreAsync();
        await store.SetAsync("k1", Response("{}"), Ttl, CancellationToken.None);
        Assert.NotNull(await store.GetAsync("k1", CancellationToken.None));
        await AssertExpiresAfterTtlAsync(store, "k1");
    }
}

public sealed class MemoryResponseCacheStoreContractTests : ResponseCacheStoreContractTests
{
    private readonly ManualTimeProvider _time = new();

    private protected override Task<IResponseCacheStore> CreateStoreAsync()
        => Task.FromResult<IResponseCacheStore>(new MemoryResponseCacheStore(Options.Create(new ResponseCacheOptions()), _time));

    private protected override async Task AssertExpiresAfterTtlAsync(IResponseCacheStore store, string key)
    {
        _time.Advance(Ttl - TimeSpan.FromTicks(1));
        Assert.NotNull(await store.GetAsync(key, CancellationToken.None));
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Null(await store.GetAsync(key, CancellationToken.None));
    }
}

public sealed class RedisResponseCacheStoreContractTests(RedisServerFixture redis)
    : ResponseCacheStoreContractTests, IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly List<ServiceProvider> _providers = [];

    /// <summary>The runtime's Redis connection, under a key prefix of this test's own.</summary>
    private protected override Task<IResponseCacheStore> CreateStoreAsync()
        => Task.FromResult<IResponseCacheStore>(CreateStore("t" + Guid.NewGuid().ToString("N")));

    internal RedisResponseCacheStore CreateStore(string prefix, string? connectionString = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        services.AddRedis(o =>
        {
            o.ConnectionString = connectionString ?? redis.ConnectionString;
            o.KeyPrefix = prefix;
        });
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return new RedisResponseCacheStore(provider.GetRequiredService<IRedisConnection>(), provider.GetRequiredService<IOptions<RedisOptions>>(), Parley.Grains.Encryption.ContentCipher.CreateEphemeral());
    }

    /// <summary>Redis keeps the clock and expires the key itself: the entry must carry each store's own TTL in
    /// milliseconds (checked with PTTL rather than by waiting for real time to pass).</summary>
    private protected override async Task AssertExpiresAfterTtlAsync(IResponseCacheStore store, string key)
    {
        var redisKey = ((RedisResponseCacheStore)store).RedisKey(key);
        var pttl = long.Parse((await redis.Server.ExecuteAsync(CancellationToken.None, "PTTL", redisKey))!);
        Assert.InRange(pttl, (long)Ttl.TotalMilliseconds - 5_000, (long)Ttl.TotalMilliseconds);

        var shorter = TimeSpan.FromSeconds(30);
        await store.SetAsync(key, Response("{}"), shorter, CancellationToken.None);
        var shortTtl = long.Parse((await redis.Server.ExecuteAsync(CancellationToken.None, "PTTL", redisKey))!);
        Assert.InRange(shortTtl, (long)shorter.TotalMilliseconds - 5_000, (long)shorter.TotalMilliseconds);
    }

    [Fact]
    public async Task Entries_live_under_the_prefix_as_one_string_each()
    {
        var store = CreateStore("cacheprefix");
        await store.SetAsync("abc", Response("{\"x\":1}"), Ttl, CancellationToken.None);
        Assert.Equal("cacheprefix:cache:abc", store.RedisKey("abc"));
        Assert.Equal("string", await redis.Server.ExecuteAsync(CancellationToken.None, "TYPE", "cacheprefix:cache:abc"));
    }

    [Fact]
    public async Task A_value_the_cache_did_not_write_is_a_malformed_entry_and_answered_as_a_miss()
    {
        var store = CreateStore("t" + Guid.NewGuid().ToString("N"));
        await redis.Server.ExecuteAsync(CancellationToken.None, "SET", store.RedisKey("k1"), "not a cache entry");
        await Assert.ThrowsAsync<FormatException>(async () => await store.GetAsync("k1", CancellationToken.None));
        var cache = CacheTestKit.Create(store: store);
        Assert.Null(await cache.LookupAsync(new CacheRequest("k1", skipLookup: false), CancellationToken.None));
    }

    [Fact]
    public async Task An_entry_sealed_with_a_key_this_silo_lacks_or_altered_is_a_miss_and_stored_entries_are_sealed()
    {
        var store = CreateStore("t" + Guid.NewGuid().ToString("N"));
        await store.SetAsync("mine", Response("""{"answer":"canary-in-the-cache"}"""), Ttl, CancellationToken.None);
        using var other = Parley.Grains.Encryption.ContentCipher.CreateEphemeral("other");
        var foreign = other.Protect(RedisResponseCacheStore.Pack(Response("{}")), RedisResponseCacheStore.PlaceOf("k2"));
        using (var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            byte[] stored = (await connection.GetDatabase().StringGetAsync(store.RedisKey("mine")))!;
            Assert.True(Parley.Grains.Encryption.ContentCipher.IsEnvelope(stored));
            Assert.Equal(-1, stored.AsSpan().IndexOf("canary-in-the-cache"u8));
            Assert.NotNull(await store.GetAsync("mine", CancellationToken.None));
            await connection.GetDatabase().StringSetAsync(store.RedisKey("k2"), foreign);
            // The same sealed bytes under another entry's key: moved, so refused.
            await connection.GetDatabase().StringSetAsync(store.RedisKey("k3"), await connection.GetDatabase().StringGetAsync(store.RedisKey("mine")));
        }
        var error = await Assert.ThrowsAsync<FormatException>(async () => await store.GetAsync("k2", CancellationToken.None));
        Assert.Contains("key id 'other'", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<FormatException>(async () => await store.GetAsync("k3", CancellationToken.None));
        var cache = CacheTestKit.Create(store: store);
        Assert.Null(await cache.LookupAsync(new CacheRequest("k2", skipLookup: false), CancellationToken.None));
        Assert.Null(await cache.LookupAsync(new CacheRequest("k3", skipLookup: false), CancellationToken.None));
    }

    [Fact]
    public async Task An_unreachable_redis_is_a_miss_within_the_operation_timeout()
    {
        var store = CreateStore("t", $"127.0.0.1:{FreePort.Next()},connectTimeout=300");
        var cache = CacheTestKit.Create(new ResponseCacheOptions { OperationTimeout = TimeSpan.FromMilliseconds(200) }, store, TimeProvider.System);
        var request = new CacheRequest("k1", skipLookup: false);
        Assert.Null(await cache.LookupAsync(request, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        var recording = cache.Record(request, new MemoryStream("{}"u8.ToArray()));
        await CacheTestKit.DrainAsync(recording);
        await cache.StoreAsync(request, recording, CacheTestKit.Json, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }
}
