using Parley.GrainInterfaces.Identity;
using Parley.Grains.Encryption;
using Parley.Silo.Auth.Signing;
using Parley.Silo.Auth.Store;

namespace Parley.Silo.Auth;

/// <summary>Creates users and keys and revokes them: the admin API and the bootstrap go through here, so that a new
/// secret is generated and hashed in one place, and a revoke or a disable has reached every cache that trusted the
/// credential (every silo's, in a cluster) before it returns.</summary>
internal sealed class IdentityManager(IIdentityStore store, IIdentityCaches caches, ContentCipher cipher, TimeProvider time)
{
    public const string DefaultKeyName = "default";

    public async Task<UserRecord> CreateUserAsync(string name, CancellationToken cancellationToken)
    {
        while (true)
        {
            var user = new UserRecord(ApiKeySecrets.NewUserId(), name, Now(), Disabled: false);
            if (await store.CreateUserAsync(user, cancellationToken))
            {
                return user;
            }
        }
    }

    /// <summary>Issues a key: the secret (generated unless <paramref name="secret"/> is given) is returned here and
    /// nowhere else, and so is the signing secret of a key that requires signed requests. <paramref name="userId"/>
    /// null makes an admin key.</summary>
    public async Task<(CreateKeyResult Result, ApiKeyRecord? Key, string? Secret, string? SigningSecret)> CreateKeyAsync(
        string? userId, string? name, CancellationToken cancellationToken, string? secret = null, bool requireSignature = false)
    {
        var fixedSecret = secret is not null;
        while (true)
        {
            var value = secret ?? ApiKeySecrets.NewSecret();
            var keyId = ApiKeySecrets.NewKeyId();
            var signingSecret = requireSignature ? SigningSecrets.NewSecret() : null;
            var key = new ApiKeyRecord(keyId, userId ?? "", name ?? DefaultKeyName, Now(), Revoked: false,
                ApiKeySecrets.Hint(value), IsAdmin: userId is null,
                signingSecret is null ? null : SigningSecrets.Seal(cipher, keyId, signingSecret));
            var result = await store.CreateKeyAsync(key, ApiKeySecrets.Hash(value).ToHex(), cancellationToken);
            // A generated secret colliding is astronomically unlikely, but retrying costs nothing.
            if (result == CreateKeyResult.DuplicateSecret && !fixedSecret)
            {
                continue;
            }
            return result == CreateKeyResult.Created ? (result, key, value, signingSecret) : (result, null, null, null);
        }
    }

    public async Task<ApiKeyRecord?> RevokeKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        var key = await store.RevokeKeyAsync(keyId, cancellationToken);
        if (key is not null)
        {
            // Not the caller's token: once the store says revoked, every cache must hear it even if the caller went away.
            await caches.ForgetAsync(IdentityInvalidation.Key(keyId), CancellationToken.None);
        }
        return key;
    }

    public async Task<UserRecord?> DisableUserAsync(string userId, CancellationToken cancellationToken)
    {
        var user = await store.DisableUserAsync(userId, cancellationToken);
        if (user is not null)
        {
            await caches.ForgetAsync(IdentityInvalidation.User(userId), CancellationToken.None);
        }
        return user;
    }

    private long Now() => time.GetUtcNow().ToUnixTimeSeconds();
}
