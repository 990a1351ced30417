namespace Parley.Runtime.Membership;

/// <summary>A silo's view of the cluster: the live silos (Active, with an IAmAlive younger than the death timeout).</summary>
public interface IClusterMembership
{
    /// <summary>The live silos, ordered by silo id. Refreshed periodically from the table.</summary>
    IReadOnlyList<MembershipEntry> LiveSilos { get; }

    /// <summary>Completes when the view next changes.</summary>
    Task WaitForChangeAsync(CancellationToken cancellationToken);
}

/// <summary>The local silo's own membership: false once it cannot renew its row within the death timeout, in which
/// case it must stop serving (readiness fails) rather than act on stale state.</summary>
public interface ILocalSiloMembership
{
    MembershipEntry? Self { get; }
    bool IsHealthy { get; }
}
