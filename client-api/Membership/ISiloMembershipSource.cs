using System.Net;

namespace Parley.ClientApi.Membership;

/// <summary>Where the front end learns which silos are alive: the Orleans cluster's own membership, asked through a
/// client (<see cref="OrleansMembershipSource"/>). Small so that <see cref="SiloMembershipWatcher"/> can be tested
/// without a cluster.</summary>
public interface ISiloMembershipSource
{
    /// <summary>The IP addresses of the cluster's active silos. Empty while no silo can be reached at all (e.g. the
    /// client has not connected yet because none is up). Throws when the cluster could not be asked this time.</summary>
    Task<IReadOnlyCollection<IPAddress>> GetActiveSiloAddressesAsync(CancellationToken cancellationToken);
}
