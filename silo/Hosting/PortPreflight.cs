using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Parley.ServiceDefaults;

namespace Parley.Silo.Hosting;

/// <summary>A port the silo needs is taken: said in one line, before anything starts (no credentials are printed, no
/// state is touched).</summary>
public sealed class PortInUseException(string message) : Exception(message);

/// <summary>Checks, before the host starts, that the HTTP addresses (<c>--urls</c>, <c>Urls</c>), the metrics port, the
/// front end's HTTP/2 port and, for the embedded cluster of one, Orleans' silo and gateway ports can be bound. Kestrel and
/// Orleans would fail too, but only after other services had started, and with a stack trace instead of a hint.</summary>
public static class PortPreflight
{
    public static void Check(IConfiguration configuration)
    {
        foreach (var url in (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Parse(url) is { Port: > 0 } uri && Address(uri.Host) is { } address && !IsFree(address, uri.Port))
            {
                throw new PortInUseException(
                    $"Port {uri.Port} ({url}) is already in use, perhaps by another Parley silo. Pick another, e.g. " +
                    $"dotnet run --project silo -- --urls http://127.0.0.1:{NextHint(uri.Port)}");
            }
        }
        var metrics = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>()?.Metrics ?? new MetricsEndpointOptions();
        if (metrics.Enabled)
        {
            CheckBesideApi(configuration, metrics.Port, (port, url) =>
                $"The metrics port {port} ({url}) is already in use, perhaps by another Parley silo. Pick another with " +
                $"Parley__Telemetry__Metrics__Port={NextHint(port).ToString(CultureInfo.InvariantCulture)}, or turn it off with Parley__Telemetry__Metrics__Enabled=false.");
        }
        var cluster = configuration.GetSection(SiloClusterOptions.SectionName).Get<SiloClusterOptions>() ?? new SiloClusterOptions();
        CheckBesideApi(configuration, cluster.FrontEndHttp2Port, (port, url) =>
            $"The front end's HTTP/2 port {port} ({url}) is already in use, perhaps by another Parley silo. Pick another with " +
            $"Parley__Cluster__FrontEndHttp2Port={NextHint(port).ToString(CultureInfo.InvariantCulture)} (and the front end's Parley__FrontEnd__SiloHttpPort with it).");
        var orleans = cluster.ParseAdvertisedAddress() ?? IPAddress.Loopback;
        foreach (var (port, setting) in new[] { (cluster.SiloPort, "SiloPort"), (cluster.GatewayPort, "GatewayPort") })
        {
            if (port is > 0 and < 65536 && !IsFree(orleans, port))
            {
                throw new PortInUseException(
                    $"Orleans' {setting} {port} on {orleans} is already in use, perhaps by another Parley silo. Pick another with " +
                    $"Parley__Cluster__{setting}={NextHint(port).ToString(CultureInfo.InvariantCulture)} (a second silo also needs its own --urls port).");
            }
        }
    }

    /// <summary>A port served beside each API address (see <see cref="ManagementPort.Urls"/>); 0 or out of range: none.</summary>
    private static void CheckBesideApi(IConfiguration configuration, int port, Func<int, string, string> message)
    {
        if (port is < 1 or > 65535)
        {
            return;
        }
        foreach (var url in ManagementPort.Urls(configuration, port))
        {
            if (Parse(url) is { } uri && Address(uri.Host) is { } address && !IsFree(address, uri.Port))
            {
                throw new PortInUseException(message(uri.Port, url));
            }
        }
    }

    /// <summary>A Kestrel URL as a URI, its wildcard hosts (<c>+</c>, <c>*</c>) as 0.0.0.0.</summary>
    private static Uri? Parse(string url)
        => Uri.TryCreate(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal),
            UriKind.Absolute, out var uri) ? uri : null;

    private static IPAddress? Address(string host)
        => host is "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host.Trim('[', ']'), out var address) ? address : null;

    private static int NextHint(int port) => port < 65535 ? port + 1 : port - 1;

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
        catch (SocketException)
        {
            // Not ours to judge (an address this machine lacks, say): Kestrel or Orleans will say what is wrong.
            return true;
        }
    }
}
