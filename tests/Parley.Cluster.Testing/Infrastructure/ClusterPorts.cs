using System.Net;
using Parley.Testing;

namespace Parley.Cluster.Testing.Infrastructure;

/// <summary>Where the test cluster's silos live: each on a loopback address of its own, all with the same HTTP, silo and
/// gateway ports (and metrics port), as pods in Kubernetes share their ports at different IPs. The front end finds each
/// silo's HTTP endpoint from its Orleans address and the shared port.</summary>
public sealed record ClusterPorts(int Http, int Silo, int Gateway, int Metrics = 0)
{
    public static IPAddress SiloAddress(int index) => LoopbackPorts.SiloAddress(index);

    /// <summary>Four ports free on every silo address.</summary>
    public static ClusterPorts Find(int silos)
    {
        var addresses = Enumerable.Range(0, silos).Select(SiloAddress).ToList();
        var http = LoopbackPorts.FreeOnAll(addresses);
        var silo = LoopbackPorts.FreeOnAll(addresses, [http]);
        var gateway = LoopbackPorts.FreeOnAll(addresses, [http, silo]);
        return new ClusterPorts(http, silo, gateway, LoopbackPorts.FreeOnAll(addresses, [http, silo, gateway]));
    }
}
