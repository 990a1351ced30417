using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Parley.Runtime.Hosting;

namespace Parley.Runtime.Membership;

/// <summary>Works out the base URL other processes use to reach this silo.</summary>
internal static class SiloAddressResolver
{
    private static readonly string[] WildcardHosts = ["*", "+", "0.0.0.0", "[::]", "::"];
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]", "::1"];

    /// <summary>The configured advertised address, else the first address the server listens on, with a wildcard
    /// host replaced by the machine's host name and a loopback host by 127.0.0.1.</summary>
    public static Uri Resolve(MembershipOptions options, IServiceProvider services)
    {
        if (!string.IsNullOrWhiteSpace(options.AdvertisedAddress))
        {
            return new Uri(options.AdvertisedAddress.TrimEnd('/'), UriKind.Absolute);
        }
        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            ?? addresses?.FirstOrDefault()
            ?? throw new InvalidOperationException(
                $"The silo's address is unknown: set {MembershipOptions.SectionName}:AdvertisedAddress or run it in a web server.");
        return FromBinding(first);
    }

    public static Uri FromBinding(string address)
    {
        var binding = BindingAddress.Parse(address);
        var host = binding.Host;
        if (WildcardHosts.Contains(host, StringComparer.OrdinalIgnoreCase))
        {
            host = Environment.MachineName;
        }
        else if (LoopbackHosts.Contains(host, StringComparer.OrdinalIgnoreCase))
        {
            host = "127.0.0.1";
        }
        return new UriBuilder(binding.Scheme, host, binding.Port).Uri;
    }

    /// <summary>The silo id: host, port and start time, unique per process start.</summary>
    public static string SiloId(Uri address, DateTimeOffset startTime) => $"{address.Host}:{address.Port}:{startTime.UtcTicks}";

    /// <summary>The address as stored in the table: scheme, host and port, no trailing slash.</summary>
    public static string Format(Uri address) => address.GetLeftPart(UriPartial.Authority);
}
