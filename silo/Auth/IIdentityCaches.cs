using Parley.GrainInterfaces.Identity;

namespace Parley.Silo.Auth;

/// <summary>Where a revoke or a disable is made effective: every cache that may still trust the credential.</summary>
internal interface IIdentityCaches
{
    Task ForgetAsync(IdentityInvalidation invalidation, CancellationToken cancellationToken);
}
