using System.Net;
using Parley.ClientApi.Hosting;
using Parley.Testing;

namespace Parley.Cluster.Testing.Infrastructure;

/// <summary>Where the test cluster's silos live: each on a loopback address of its own, all with the same HTTP, silo and
/// gateway ports (and metrics port, and the HTTP/2 port the front end forwards to), as pods in Kubernetes share their
/// ports at different IPs. The front end finds each silo's endpoint from its Orleans address and the shared port.</summary>
public sealed record ClusterPorts(int Http, int Silo, int Gateway, int Metrics = 0, int FrontEndHttp2 = 0)
{
    public static IPAddress SiloAddress(int index) => LoopbackPorts.SiloAddress(index);

    /// <summary>Five ports free on every silo address.</summary>
    public static ClusterPorts Find(int silos)
    {
        var addresses = Enumerable.Range(0, silos).Select(SiloAddress).ToList();
        var http = LoopbackPorts.FreeOnAll(addresses);
        var silo = LoopbackPorts.FreeOnAll(addresses, [http]);
        var gateway = LoopbackPorts.FreeOnAll(addresses, [http, silo]);
        var metrics = LoopbackPorts.FreeOnAll(addresses, [http, silo, gateway]);
        return new ClusterPorts(http, silo, gateway, metrics, LoopbackPorts.FreeOnAll(addresses, [http, silo, gateway, metrics]));
    }

    /// <summary>The port the front end forwards to: the silos' HTTP/2 port when they have one, as a deployment runs
    /// them, else their API port.</summary>
    public int FrontEndPort => FrontEndHttp2 > 0 ? FrontEndHttp2 : Http;

    /// <summary>The front end's settings for these silos: HTTP/2 to <see cref="FrontEndPort"/> when the silos have that
    /// port, else HTTP/1.1.</summary>
    public IEnumerable<KeyValuePair<string, string>> FrontEndSettings(string separator)
    {
        yield return new($"Parley{separator}FrontEnd{separator}SiloHttpPort", FrontEndPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new($"Parley{separator}FrontEnd{separator}SiloProtocol", (FrontEndHttp2 > 0 ? SiloProtocol.Http2 : SiloProtocol.Http1).ToString());
    }
}
