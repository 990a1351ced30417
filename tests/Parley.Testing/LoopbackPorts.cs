using System.Net;
using System.Net.Sockets;

namespace Parley.Testing;

/// <summary>Loopback addresses for silos that each need their own (127.0.0.2, .3, …; Linux routes all of 127/8 to lo),
/// as pods have their own IPs in Kubernetes, and ports free on all of them.</summary>
public static class LoopbackPorts
{
    public static IPAddress SiloAddress(int index) => new([127, 0, 0, (byte)(2 + index)]);

    /// <summary>A port free on every one of <paramref name="addresses"/> (checked by binding each), none of <paramref name="taken"/>.</summary>
    public static int FreeOnAll(IReadOnlyCollection<IPAddress> addresses, IReadOnlyCollection<int>? taken = null)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = FreePort.Next();
            if ((taken is null || !taken.Contains(port)) && addresses.All(a => IsFree(a, port)))
            {
                return port;
            }
        }
        throw new InvalidOperationException("No port was free on every silo loopback address.");
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
