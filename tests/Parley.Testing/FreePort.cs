using System.Net;
using System.Net.Sockets;

namespace Parley.Testing;

/// <summary>Free loopback TCP ports for servers that need their port on the command line (redis-server).</summary>
public static class FreePort
{
    /// <summary>Binds 127.0.0.1:0 and returns the port the OS chose. The port is released before returning, so a
    /// later bind can race with another process; callers that can should bind port 0 themselves.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
