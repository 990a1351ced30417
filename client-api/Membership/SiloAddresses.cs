using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Parley.ClientApi.Membership;

/// <summary>A silo's HTTP base URL from the IP address it has in Orleans: every silo serves HTTP on the same port
/// (<c>Parley:FrontEnd:SiloHttpPort</c>) at its own address.</summary>
public static class SiloAddresses
{
    public static string BaseUrl(IPAddress address, int httpPort)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        var host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return string.Create(CultureInfo.InvariantCulture, $"http://{host}:{httpPort}");
    }
}
