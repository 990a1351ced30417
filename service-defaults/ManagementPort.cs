using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace Parley.ServiceDefaults;

/// <summary>The management port: the same addresses the host serves its API on (<c>Urls</c>), another port, plain
/// HTTP. Prometheus scrapes it on the pod IP; a NetworkPolicy can open it to the monitoring namespace alone, and no
/// credential has to live in Prometheus' configuration.</summary>
public static class ManagementPort
{
    /// <summary>Kestrel's default when no <c>Urls</c> are configured.</summary>
    private const string KestrelDefaultUrl = "http://localhost:5000";

    /// <summary>The configured API addresses (<c>urls</c>), or Kestrel's default.</summary>
    public static IReadOnlyList<string> ApiUrls(IConfiguration configuration)
    {
        var urls = configuration[WebHostDefaults.ServerUrlsKey];
        return string.IsNullOrWhiteSpace(urls)
            ? [KestrelDefaultUrl]
            : urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>One URL per distinct API host at another port: <c>http://{host}:{port}</c> (the management port; a silo's
    /// HTTP/2 port for the front end likewise).</summary>
    public static IReadOnlyList<string> Urls(IConfiguration configuration, int port)
    {
        var urls = new List<string>();
        foreach (var url in ApiUrls(configuration))
        {
            var management = "http://" + Host(url) + ":" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!urls.Contains(management, StringComparer.OrdinalIgnoreCase))
            {
                urls.Add(management);
            }
        }
        return urls;
    }

    /// <summary>The host part of a Kestrel URL (<c>127.0.0.2</c>, <c>[::1]</c>, <c>+</c>, <c>*</c>, <c>localhost</c>).</summary>
    internal static string Host(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal);
        var rest = start < 0 ? url : url[(start + 3)..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            rest = rest[..slash];
        }
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? rest : rest[..(close + 1)];
        }
        var colon = rest.LastIndexOf(':');
        return colon < 0 ? rest : rest[..colon];
    }
}
