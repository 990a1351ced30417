using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Parley.Grains.Redis;
using Parley.Silo.Auth.Store;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Auth;

/// <summary>The same contract for every identity store: the in-memory one and the Redis one must agree.</summary>
public abstract class IdentityStoreContractTests
{
    protected abstract Task<IIdentityStore> CreateStoreAsync();

    [Fact]
    public async Task Users_are_created_once_listed_oldest_first_and_read_back()
    {
        var store = await CreateStoreAsync();
        var alice = new UserRecord("user_a", "alice", 100, false);
        var bob = new UserRecord("user_b", "bob", 100, false);
        Assert.True(await store.CreateUserAsync(alice));
        Assert.True(await store.CreateUserAsync(bob));
        Assert.False(await store.CreateUserAsync(alice with { Name = "other" }));

        Assert.Equal(new[] { alice, bob }, await store.ListUsersAsync());
        Assert.Equal(alice, await store.GetUserAsync("user_a"));
        Assert.Null(await store.GetUserAsync("user_missing"));
    }

    [Fact]
    public async Task Keys_are_found_by_secret_hash_listed_per_user_and_revoked()
    {
        var store = await CreateStoreAsync();
        await store.CreateUserAsync(new UserRecord("user_a", "alice", 1, false));
        var first = new ApiKeyRecord("key_1", "user_a", "laptop", 2, false, "abcd", false);
        var second = new ApiKeyRecord("key_2", "user_a", "ci", 3, false, "efgh", false);
        Assert.Equal(CreateKeyResult.Created, await store.CreateKeyAsync(first, "hash1"));
        Assert.Equal(CreateKeyResult.Created, await store.CreateKeyAsync(second, "hash2"));
        Assert.Equal(CreateKeyResult.DuplicateSecret, await store.CreateKeyAsync(first with { Id = "key_3" }, "hash1"));

        Assert.Equal(first, await store.FindKeyBySecretHashAsync("hash1"));
        Assert.Null(await store.FindKeyBySecretHashAsync("hash-unknown"));
        Assert.Equal(new[] { first, second }, await store.ListKeysAsync("user_a"));
        Assert.Empty(await store.ListKeysAsync("user_nobody"));

        Assert.Equal(first with { Revoked = true }, await store.RevokeKeyAsync("key_1"));
        Assert.Equal(first with { Revoked = true }, await store.RevokeKeyAsync("key_1"));
        Assert.True((await store.FindKeyBySecretHashAsync("hash1"))!.Revoked);
        Assert.False((await store.GetKeyAsync("key_2"))!.Revoked);
        Assert.Null(await store.RevokeKeyAsync("key_missing"));
    }

    [Fact]
    public async Task Keys_need_an_enabled_user_and_disabling_revokes_every_key()
    {
        var store = await CreateStoreAsync();
        Assert.Equal(CreateKeyResult.UserNotFound, await store.CreateKeyAsync(new ApiKeyRecord("key_1", "user_x", "n", 1, false, "abcd", false), "h1"));
        await store.CreateUserAsync(new UserRecord("user_a", "alice", 1, false));
        await store.CreateKeyAsync(new ApiKeyRecord("key_1", "user_a", "n", 1, false, "abcd", false), "h1");
        await store.CreateKeyAsync(new ApiKeyRecord("key_2", "user_a", "n", 1, false, "efgh", false), "h2");

        var disabled = await store.DisableUserAsync("user_a");

        Assert.Equal(new UserRecord("user_a", "alice", 1, true), disabled);
        Assert.All(await store.ListKeysAsync("user_a"), k => Assert.True(k.Revoked));
        Assert.True((await store.FindKeyBySecretHashAsync("h2"))!.Revoked);
        Assert.Equal(CreateKeyResult.UserDisabled, await store.CreateKeyAsync(new ApiKeyRecord("key_3", "user_a", "n", 1, false, "ijkl", false), "h3"));
        Assert.Null(await store.FindKeyBySecretHashAsync("h3"));
        Assert.Null(await store.DisableUserAsync("user_missing"));
    }

    [Fact]
    public async Task Admin_keys_need_no_user_and_are_in_no_users_list()
    {
        var store = await CreateStoreAsync();
        var admin = new ApiKeyRecord("key_admin", "", "bootstrap-admin", 1, false, "wxyz", true);
        Assert.Equal(CreateKeyResult.Created, await store.CreateKeyAsync(admin, "admin-hash"));
        Assert.Equal(admin, await store.FindKeyBySecretHashAsync("admin-hash"));
        Assert.Empty(await store.ListUsersAsync());
    }

    [Fact]
    public async Task Bootstrap_is_claimed_exactly_once_even_when_claimed_concurrently()
    {
        var store = await CreateStoreAsync();
        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => store.TryClaimBootstrapAsync($"silo{i}"))));
        Assert.Single(claims, c => c);
        Assert.False(await store.TryClaimBootstrapAsync("late"));
    }
}

public sealed class InMemoryIdentityStoreTests : IdentityStoreContractTests
{
    protected override Task<IIdentityStore> CreateStoreAsync() => Task.FromResult<IIdentityStore>(new InMemoryIdentityStore());
}

public sealed class RedisIdentityStoreTests(RedisServerFixture redis) : IdentityStoreContractTests, IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private ServiceProvider? _services;

    /// <summary>The runtime's Redis connection, under a key prefix of this test's own, so tests sharing one
    /// redis-server never see each other's keys.</summary>
    protected override Task<IIdentityStore> CreateStoreAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        services.AddRedis(o =>
        {
            o.ConnectionString = redis.ConnectionString;
            o.KeyPrefix = "t" + Guid.NewGuid().ToString("N");
        });
        _services = services.BuildServiceProvider();
        return Task.FromResult<IIdentityStore>(new RedisIdentityStore(_services.GetRequiredService<IRedisConnection>()));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }
}
