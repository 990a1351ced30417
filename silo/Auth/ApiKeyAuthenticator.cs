using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Identity;
using Parley.Grains.Encryption;
using Parley.Silo.Auth.Signing;
using Parley.Silo.Auth.Store;

namespace Parley.Silo.Auth;

/// <summary>Resolves a bearer secret to its <see cref="Caller"/>. Every request comes through here, so a successful
/// lookup is cached in-process for <see cref="AuthOptions.CacheTtl"/> (keyed by the digest, allocation-free on a hit);
/// failures are never cached, so a key created on another silo works at once. As an <see cref="IIdentityCaches"/> it is
/// this silo's cache alone; in a silo, <see cref="Revocation.ClusterIdentityCaches"/> reaches every silo's.</summary>
internal sealed class ApiKeyAuthenticator : IIdentityCaches, ILocalIdentityCache
{
    /// <summary>The caller for the configured admin key (not in the store, so it has a fixed id).</summary>
    public const string ConfiguredAdminKeyId = "key_configured_admin";

    private readonly IIdentityStore _store;
    private readonly ContentCipher _cipher;
    private readonly TimeProvider _time;
    private readonly long _ttlTimestampTicks;
    private readonly int _capacity;
    private readonly SecretHash? _configuredAdminHash;
    private readonly Caller _configuredAdmin = new("", ConfiguredAdminKeyId, IsAdmin: true);
    private readonly ConcurrentDictionary<SecretHash, CacheEntry> _cache = new();

    // Bumped by every invalidation: a lookup that started before a revoke must not re-insert what the revoke removed.
    private long _generation;

    public ApiKeyAuthenticator(IIdentityStore store, ContentCipher cipher, TimeProvider time, IOptions<AuthOptions> options)
    {
        _store = store;
        _cipher = cipher;
        _time = time;
        var value = options.Value;
        _ttlTimestampTicks = (long)(value.CacheTtl.TotalSeconds * time.TimestampFrequency);
        _capacity = value.CacheCapacity;
        if (!string.IsNullOrEmpty(value.AdminKey))
        {
            _configuredAdminHash = ApiKeySecrets.Hash(value.AdminKey);
        }
    }

    /// <summary>The caller, or null when the secret names no valid key. Hashes synchronously so that the span of the
    /// header value never crosses an await.</summary>
    public ValueTask<Caller?> AuthenticateAsync(ReadOnlySpan<char> secret, CancellationToken cancellationToken)
    {
        if (!ApiKeySecrets.TryHash(secret, out var hash))
        {
            return ValueTask.FromResult<Caller?>(null);
        }
        if (_configuredAdminHash == hash)
        {
            return ValueTask.FromResult<Caller?>(_configuredAdmin);
        }
        if (_cache.TryGetValue(hash, out var entry) && _time.GetTimestamp() < entry.ExpiresAt)
        {
            return ValueTask.FromResult<Caller?>(entry.Caller);
        }
        return LookUpAsync(hash, cancellationToken);
    }

    /// <summary>Forgets this silo's cached callers of a key (revoked) or of a user's keys (disabled).</summary>
    public void Forget(IdentityInvalidation invalidation)
    {
        var id = invalidation.Id;
        if (invalidation.Scope == IdentityScope.Key)
        {
            Invalidate(c => c.KeyId == id);
        }
        else
        {
            Invalidate(c => c.UserId == id);
        }
    }

    Task IIdentityCaches.ForgetAsync(IdentityInvalidation invalidation, CancellationToken cancellationToken)
    {
        Forget(invalidation);
        return Task.CompletedTask;
    }

    private async ValueTask<Caller?> LookUpAsync(SecretHash hash, CancellationToken cancellationToken)
    {
        var generation = Interlocked.Read(ref _generation);
        var key = await _store.FindKeyBySecretHashAsync(hash.ToHex(), cancellationToken);
        if (key is null || key.Revoked)
        {
            _cache.TryRemove(hash, out _);
            return null;
        }
        // A sealed signing secret that does not open is the store's failure (503), never a key that verifies nothing.
        var caller = new Caller(key.UserId, key.Id, key.IsAdmin,
            key.SealedSigningSecret is { } sealedSecret ? SigningSecrets.Unseal(_cipher, key.Id, sealedSecret) : null);
        if (_ttlTimestampTicks > 0)
        {
            if (_cache.Count >= _capacity)
            {
                _cache.Clear();
            }
            _cache[hash] = new CacheEntry(caller, _time.GetTimestamp() + _ttlTimestampTicks);
            if (Interlocked.Read(ref _generation) != generation)
            {
                _cache.TryRemove(hash, out _);
            }
        }
        return caller;
    }

    private void Invalidate(Func<Caller, bool> match)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (hash, entry) in _cache)
        {
            if (match(entry.Caller))
            {
                _cache.TryRemove(hash, out _);
            }
        }
    }

    private sealed record CacheEntry(Caller Caller, long ExpiresAt);
}
