using Microsoft.Extensions.Logging;
using Orleans.Runtime.Services;
using Parley.GrainInterfaces.Identity;

namespace Parley.Silo.Auth.Revocation;

/// <summary>This silo's end of a revocation: an Orleans grain service (one per silo, addressed by silo) that clears the
/// silo's identity caches (<see cref="ILocalIdentityCache"/>).</summary>
internal sealed class IdentityCacheService(GrainId id, Orleans.Runtime.Silo silo, ILoggerFactory loggerFactory, IEnumerable<ILocalIdentityCache> caches)
    : GrainService(id, silo, loggerFactory), IIdentityCacheService
{
    public Task ForgetAsync(IdentityInvalidation invalidation)
    {
        caches.Forget(invalidation);
        return Task.CompletedTask;
    }
}
