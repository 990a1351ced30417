using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Services;
using Parley.GrainInterfaces.Identity;

namespace Parley.Silo.Auth.Revocation;

/// <summary>Makes a revoke or a disable effective on every active silo before it returns: this silo's caches are cleared
/// first, then every other active silo's <see cref="IIdentityCacheService"/> is called at once and awaited, each within
/// <see cref="AuthOptions.RevocationTimeout"/>. A silo that does not confirm in time (it is dying, or cut off) is
/// logged; it stops trusting the credential when its cache entry expires (<see cref="AuthOptions.CacheTtl"/>).</summary>
internal sealed class ClusterIdentityCaches(
    IServiceProvider services,
    IEnumerable<ILocalIdentityCache> local,
    ILocalSiloDetails localSilo,
    IClusterMembershipService membership,
    IOptions<AuthOptions> options,
    ILogger<ClusterIdentityCaches> logger)
    : GrainServiceClient<IIdentityCacheService>(services), IIdentityCaches
{
    private readonly TimeSpan _timeout = options.Value.RevocationTimeout;

    public async Task ForgetAsync(IdentityInvalidation invalidation, CancellationToken cancellationToken)
    {
        local.Forget(invalidation);
        var calls = new List<(SiloAddress Silo, Task Call)>();
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && !member.SiloAddress.Equals(localSilo.SiloAddress))
            {
                calls.Add((member.SiloAddress, ForgetOnAsync(member.SiloAddress, invalidation, cancellationToken)));
            }
        }
        foreach (var (silo, call) in calls)
        {
            try
            {
                await call;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                RevocationLog.NotConfirmed(logger, invalidation.Scope, silo, _timeout, options.Value.CacheTtl, ex);
            }
        }
    }

    private Task ForgetOnAsync(SiloAddress silo, IdentityInvalidation invalidation, CancellationToken cancellationToken)
        => GetGrainService(silo).ForgetAsync(invalidation).WaitAsync(_timeout, cancellationToken);
}
