using System.Net;
using System.Net.Sockets;
using Parley.Testing;

namespace Parley.Cluster.Testing.Infrastructure;

/// <summary>Where the test cluster's silos live: each on a loopback address of its own (127.0.0.2, .3, …; Linux routes
/// all of 127/8 to lo), all with the same HTTP, silo and gateway ports, as pods in Kubernetes share their ports at
/// different IPs. The front end finds each silo's HTTP endpoint from its Orleans address and the shared port.</summary>
public sealed record ClusterPorts(int Http, int Silo, int Gateway)
{
    public static IPAddress SiloAddress(int index) => new([127, 0, 0, (byte)(2 + index)]);

    /// <summary>Three ports free on every silo address (and on 127.0.0.1, which the OS draws from).</summary>
    public static ClusterPorts Find(int silos)
    {
        var ports = new List<int>(3);
        for (var attempt = 0; ports.Count < 3; attempt++)
        {
            if (attempt > 100)
            {
                throw new InvalidOperationException("No port was free on every silo loopback address.");
            }
            var port = FreePort.Next();
            if (!ports.Contains(port) && Enumerable.Range(0, silos).All(i => IsFree(SiloAddress(i), port)))
            {
                ports.Add(port);
            }
        }
        return new ClusterPorts(ports[0], ports[1], ports[2]);
    }

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
