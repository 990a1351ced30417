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

    /// <summary>Whether a server failed to start because a port picked here was bound by another process first (then it
    /// may start again on new ports).</summary>
    public static bool WasTaken(Exception e)
        => e is Microsoft.AspNetCore.Connections.AddressInUseException
            || e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
            || e.InnerException is { } inner && WasTaken(inner)
            || e is AggregateException aggregate && aggregate.InnerExceptions.Any(WasTaken);

    /// <summary><paramref name="count"/> distinct free ports (each held until all are chosen, so none repeats).</summary>
    public static int[] Next(int count)
    {
        var listeners = new TcpListener[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
            }
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener?.Stop();
            }
        }
    }
}
