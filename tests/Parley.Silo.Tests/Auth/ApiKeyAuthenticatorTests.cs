using Microsoft.Extensions.Options;
using Parley.Silo.Auth;
using Parley.Silo.Auth.Store;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Auth;

public sealed class ApiKeyAuthenticatorTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly CountingStore _store = new(new InMemoryIdentityStore());

    private (ApiKeyAuthenticator Authenticator, IdentityManager Identities) NewSilo(AuthOptions? options = null)
    {
        var authenticator = new ApiKeyAuthenticator(_store, Parley.Grains.Encryption.ContentCipher.Disabled(), _time, Options.Create(options ?? new AuthOptions()));
        return (authenticator, new IdentityManager(_store, authenticator, Parley.Grains.Encryption.ContentCipher.Disabled(), _time));
    }

    [Fact]
    public async Task A_successful_lookup_is_cached_for_the_ttl_and_then_asked_again()
    {
        var (silo, identities) = NewSilo();
        var user = await identities.CreateUserAsync("alice", default);
        var (_, key, secret, _) = await identities.CreateKeyAsync(user.Id, null, default);

        var first = await silo.AuthenticateAsync(secret, default);
        var second = await silo.AuthenticateAsync(secret, default);
        Assert.Equal(new Caller(user.Id, key!.Id, false), first);
        Assert.Same(first, second);
        Assert.Equal(1, _store.Lookups);

        _time.Advance(AuthOptions.DefaultCacheTtl);
        Assert.Equal(first, await silo.AuthenticateAsync(secret, default));
        Assert.Equal(2, _store.Lookups);
    }

    [Fact]
    public async Task A_revoke_on_this_silo_applies_at_once_and_on_another_silo_within_the_ttl()
    {
        var (siloA, identitiesA) = NewSilo();
        var (siloB, _) = NewSilo();
        var user = await identitiesA.CreateUserAsync("alice", default);
        var (_, key, secret, _) = await identitiesA.CreateKeyAsync(user.Id, null, default);
        Assert.NotNull(await siloA.AuthenticateAsync(secret, default));
        Assert.NotNull(await siloB.AuthenticateAsync(secret, default));

        await identitiesA.RevokeKeyAsync(key!.Id, default);

        Assert.Null(await siloA.AuthenticateAsync(secret, default));
        _time.Advance(AuthOptions.DefaultCacheTtl - TimeSpan.FromMilliseconds(1));
        Assert.NotNull(await siloB.AuthenticateAsync(secret, default));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Null(await siloB.AuthenticateAsync(secret, default));
    }

    [Fact]
    public async Task Disabling_a_user_drops_its_cached_keys_at_once()
    {
        var (silo, identities) = NewSilo();
        var user = await identities.CreateUserAsync("alice", default);
        var (_, _, secret, _) = await identities.CreateKeyAsync(user.Id, null, default);
        Assert.NotNull(await silo.AuthenticateAsync(secret, default));

        await identities.DisableUserAsync(user.Id, default);

        Assert.Null(await silo.AuthenticateAsync(secret, default));
    }

    [Fact]
    public async Task Failures_are_not_cached_so_a_key_created_elsewhere_works_at_once()
    {
        var (siloA, _) = NewSilo();
        var (_, identitiesB) = NewSilo();
        var secret = ApiKeySecrets.NewSecret();
        Assert.Null(await siloA.AuthenticateAsync(secret, default));

        var user = await identitiesB.CreateUserAsync("alice", default);
        await identitiesB.CreateKeyAsync(user.Id, null, default, secret);

        Assert.NotNull(await siloA.AuthenticateAsync(secret, default));
    }

    [Fact]
    public async Task The_configured_admin_key_is_recognised_without_the_store()
    {
        const string adminKey = "configured-admin-key-0123456789";
        var (silo, _) = NewSilo(new AuthOptions { AdminKey = adminKey });

        Assert.Equal(new Caller("", ApiKeyAuthenticator.ConfiguredAdminKeyId, true), await silo.AuthenticateAsync(adminKey, default));
        Assert.Null(await silo.AuthenticateAsync(adminKey + "x", default));
        Assert.Equal(1, _store.Lookups);
    }

    [Fact]
    public async Task Empty_and_oversized_tokens_are_refused_without_a_lookup()
    {
        var (silo, _) = NewSilo();
        Assert.Null(await silo.AuthenticateAsync("", default));
        Assert.Null(await silo.AuthenticateAsync(new string('a', ApiKeySecrets.MaxSecretLength + 1), default));
        Assert.Equal(0, _store.Lookups);
    }

    [Fact]
    public void Secrets_are_prefixed_random_and_hashed_to_sha256()
    {
        var secret = ApiKeySecrets.NewSecret();
        Assert.StartsWith(ApiKeySecrets.Prefix, secret);
        Assert.Equal(ApiKeySecrets.Prefix.Length + 43, secret.Length);
        Assert.Matches("^[A-Za-z0-9_-]+$", secret[ApiKeySecrets.Prefix.Length..]);
        Assert.NotEqual(secret, ApiKeySecrets.NewSecret());
        // SHA-256("abc"), the FIPS 180-2 test vector.
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ApiKeySecrets.Hash("abc").ToHex());
        Assert.Equal(secret[^4..], ApiKeySecrets.Hint(secret));
    }

    /// <summary>Counts hash lookups, i.e. what the cache saves.</summary>
    private sealed class CountingStore(IIdentityStore inner) : IIdentityStore
    {
        private int _lookups;

        public int Lookups => _lookups;

        public Task<ApiKeyRecord?> FindKeyBySecretHashAsync(string secretHash, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _lookups);
            return inner.FindKeyBySecretHashAsync(secretHash, cancellationToken);
        }

        public Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken = default) => inner.CreateUserAsync(user, cancellationToken);
        public Task<UserRecord?> GetUserAsync(string userId, CancellationToken cancellationToken = default) => inner.GetUserAsync(userId, cancellationToken);
        public Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default) => inner.ListUsersAsync(cancellationToken);
        public Task<UserRecord?> DisableUserAsync(string userId, CancellationToken cancellationToken = default) => inner.DisableUserAsync(userId, cancellationToken);
        public Task<CreateKeyResult> CreateKeyAsync(ApiKeyRecord key, string secretHash, CancellationToken cancellationToken = default) => inner.CreateKeyAsync(key, secretHash, cancellationToken);
        public Task<ApiKeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default) => inner.GetKeyAsync(keyId, cancellationToken);
        public Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string userId, CancellationToken cancellationToken = default) => inner.ListKeysAsync(userId, cancellationToken);
        public Task<ApiKeyRecord?> RevokeKeyAsync(string keyId, CancellationToken cancellationToken = default) => inner.RevokeKeyAsync(keyId, cancellationToken);
        public Task<bool> TryClaimBootstrapAsync(string claimant, CancellationToken cancellationToken = default) => inner.TryClaimBootstrapAsync(claimant, cancellationToken);
    }
}
