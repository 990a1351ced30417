using Parley.Runtime.Membership;

namespace Parley.ClientApi.Routing;

/// <summary>The live silos from cluster membership. The snapshot is rebuilt only when the set of addresses changes,
/// so the per-request cost is a reference check (or, when the reader hands out a new list, a comparison).</summary>
public sealed class MembershipSiloDirectory(IClusterMembership membership) : ISiloDirectory
{
    private Snapshot _snapshot = new(null, SiloSet.Empty);

    public SiloSet Current
    {
        get
        {
            var live = membership.LiveSilos;
            var snapshot = Volatile.Read(ref _snapshot);
            if (ReferenceEquals(live, snapshot.Source))
            {
                return snapshot.Silos;
            }
            var silos = snapshot.Silos.HasSameAddresses(live, static e => e.Address)
                ? snapshot.Silos
                : new SiloSet(live.Select(static e => e.Address));
            // A lost race only means the same snapshot is built twice.
            Volatile.Write(ref _snapshot, new Snapshot(live, silos));
            return silos;
        }
    }

    private sealed record Snapshot(IReadOnlyList<MembershipEntry>? Source, SiloSet Silos);
}
