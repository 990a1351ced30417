using Orleans.Services;

namespace Parley.GrainInterfaces.Identity;

/// <summary>One per silo (an Orleans grain service): the silo's cache of authenticated keys. A revoke or a disable
/// calls it on every active silo and waits for each to confirm, so the credential stops working cluster-wide before
/// the admin call answers.</summary>
[Alias("parley.IIdentityCacheService")]
public interface IIdentityCacheService : IGrainService
{
    /// <summary>Forgets every cached caller the invalidation names; confirmed when this returns.</summary>
    Task ForgetAsync(IdentityInvalidation invalidation);
}

/// <summary>What to forget: one key, or every key of one user.</summary>
[GenerateSerializer, Immutable, Alias("parley.identity-invalidation")]
public sealed record IdentityInvalidation(IdentityScope Scope, string Id)
{
    public static IdentityInvalidation Key(string keyId) => new(IdentityScope.Key, keyId);

    public static IdentityInvalidation User(string userId) => new(IdentityScope.User, userId);
}

[GenerateSerializer, Alias("parley.identity-scope")]
public enum IdentityScope
{
    Key,
    User,
}
