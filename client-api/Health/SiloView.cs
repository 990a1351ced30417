using Parley.ClientApi.Configuration;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Parley.ClientApi.Health;

/// <summary><see cref="ISiloView"/> read from YARP's live state of the silo cluster.</summary>
internal sealed class SiloView(IProxyStateLookup proxyState) : ISiloView
{
    public IReadOnlyList<SiloState> Silos
    {
        get
        {
            if (!proxyState.TryGetCluster(SiloClusterConfig.ClusterId, out var cluster))
            {
                return [];
            }
            var silos = new List<SiloState>(cluster.Destinations.Count);
            foreach (var destination in cluster.Destinations.Values)
            {
                silos.Add(new SiloState(destination.DestinationId, Map(destination.Health.Active), Map(destination.Health.Passive)));
            }
            silos.Sort(static (a, b) => string.CompareOrdinal(a.Address, b.Address));
            return silos;
        }
    }

    private static SiloHealth Map(DestinationHealth health) => health switch
    {
        DestinationHealth.Healthy => SiloHealth.Healthy,
        DestinationHealth.Unhealthy => SiloHealth.Unhealthy,
        _ => SiloHealth.Unknown,
    };
}
