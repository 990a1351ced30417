namespace Parley.Silo.Auth.Store;

/// <summary>Users and virtual keys. Keys are found by the SHA-256 (lowercase hex) of their secret; the secret itself
/// is never given to the store. Implementations: in-memory (embedded) and Redis; both pass the same contract tests.</summary>
public interface IIdentityStore
{
    /// <summary>False if a user with this id exists.</summary>
    Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken = default);

    Task<UserRecord?> GetUserAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>All users, oldest first.</summary>
    Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>Disables the user and revokes all its keys in one atomic step; null if the user does not exist.</summary>
    Task<UserRecord?> DisableUserAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Stores a key and its hash index atomically. A user key requires its user to exist and be enabled at
    /// that moment (so a key can never be added to a user being disabled); an admin key has no user.</summary>
    Task<CreateKeyResult> CreateKeyAsync(ApiKeyRecord key, string secretHash, CancellationToken cancellationToken = default);

    Task<ApiKeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>The user's keys, oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>Marks the key revoked (idempotent, atomic); null if it does not exist.</summary>
    Task<ApiKeyRecord?> RevokeKeyAsync(string keyId, CancellationToken cancellationToken = default);

    /// <summary>The key whose secret has this hash (revoked or not); null if none.</summary>
    Task<ApiKeyRecord?> FindKeyBySecretHashAsync(string secretHash, CancellationToken cancellationToken = default);

    /// <summary>Claims the store's one-time bootstrap: true for exactly one caller over the store's lifetime, even when
    /// several silos start at once.</summary>
    Task<bool> TryClaimBootstrapAsync(string claimant, CancellationToken cancellationToken = default);
}

public enum CreateKeyResult
{
    Created,
    UserNotFound,
    UserDisabled,
    DuplicateSecret,
}

/// <param name="CreatedAt">Unix seconds.</param>
public sealed record UserRecord(string Id, string Name, long CreatedAt, bool Disabled);

/// <param name="UserId">Empty for an admin key.</param>
/// <param name="Hint">The secret's last characters (not secret).</param>
/// <param name="SealedSigningSecret">For a key that requires signed requests: its signing secret sealed by the content
/// cipher (base64 of the envelope; the server needs the secret itself to verify, so it cannot be hashed). Null for a key
/// that does not require signatures.</param>
public sealed record ApiKeyRecord(string Id, string UserId, string Name, long CreatedAt, bool Revoked, string Hint, bool IsAdmin,
    string? SealedSigningSecret = null)
{
    public bool RequiresSignature => SealedSigningSecret is not null;
}
