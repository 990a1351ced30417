using Parley.GrainInterfaces.Identity;

namespace Parley.Silo.Auth;

/// <summary>One of this silo's caches of who a credential belongs to (keys looked up, admin sessions checked): each is
/// told to forget what a revoke or a disable names, here and on every other silo.</summary>
internal interface ILocalIdentityCache
{
    void Forget(IdentityInvalidation invalidation);
}

internal static class LocalIdentityCaches
{
    public static void Forget(this IEnumerable<ILocalIdentityCache> caches, IdentityInvalidation invalidation)
    {
        foreach (var cache in caches)
        {
            cache.Forget(invalidation);
        }
    }
}
