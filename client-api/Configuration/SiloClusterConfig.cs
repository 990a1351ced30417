using System.Net;
using Parley.ClientApi.Health;
using Parley.ClientApi.Hosting;
using Parley.ClientApi.LoadBalancing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;

namespace Parley.ClientApi.Configuration;

/// <summary>Builds the YARP route and cluster from <see cref="FrontEndOptions"/>: every path goes to the one cluster of
/// silos, balanced by rendezvous hash, with active probes of each silo's readiness and passive marking of silos that
/// fail a request.</summary>
internal static class SiloClusterConfig
{
    public const string ClusterId = "silos";
    public const string RouteId = "silos";
    // YARP's name for the threshold its consecutive-failures policy reads from cluster metadata.
    private const string ConsecutiveFailuresThresholdKey = "ConsecutiveFailuresHealthPolicy.Threshold";

    public static RouteConfig Route() => new()
    {
        RouteId = RouteId,
        ClusterId = ClusterId,
        // After the front end's own /health endpoints, whatever their precedence.
        Order = int.MaxValue,
        Match = new RouteMatch { Path = "/{**catch-all}" },
    };

    public static ClusterConfig Cluster(FrontEndOptions options, IReadOnlyList<string> silos)
    {
        var destinations = new Dictionary<string, DestinationConfig>(silos.Count, StringComparer.Ordinal);
        foreach (var silo in silos)
        {
            // The id is the address: rendezvous weights hash it, so a silo back at the same address gets its keys back.
            destinations[silo] = new DestinationConfig { Address = silo };
        }
        var http2 = options.SiloProtocol == SiloProtocol.Http2;
        return new ClusterConfig
        {
            ClusterId = ClusterId,
            LoadBalancingPolicy = RendezvousLoadBalancingPolicy.PolicyName,
            Destinations = destinations,
            HealthCheck = new HealthCheckConfig
            {
                // Unhealthy silos leave the rotation, but when none is healthy every known silo is tried rather than none.
                AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyOrPanic,
                Active = new ActiveHealthCheckConfig
                {
                    Enabled = true,
                    Interval = options.HealthCheckInterval,
                    Timeout = options.HealthCheckTimeout,
                    Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                    Path = options.HealthCheckPath,
                },
                Passive = new PassiveHealthCheckConfig
                {
                    Enabled = true,
                    Policy = SiloFailureHealthPolicy.PolicyName,
                    ReactivationPeriod = options.ReactivationPeriod,
                },
            },
            Metadata = new Dictionary<string, string>
            {
                [ConsecutiveFailuresThresholdKey] = options.HealthCheckFailureThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            HttpClient = new HttpClientConfig
            {
                MaxConnectionsPerServer = options.MaxConnectionsPerServer,
                // HTTP/2: another connection only when a silo's stream limit (Kestrel's 100 by default) is reached.
                EnableMultipleHttp2Connections = http2,
            },
            HttpRequest = new ForwarderRequestConfig
            {
                ActivityTimeout = options.ActivityTimeout,
                // Cleartext on the cluster network: HTTP/2 with prior knowledge (exactly, never a silent fallback to a
                // port that does not speak it), else HTTP/1.1. YARP's active health probes use the same version.
                Version = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
                VersionPolicy = http2 ? HttpVersionPolicy.RequestVersionExact : HttpVersionPolicy.RequestVersionOrLower,
            },
        };
    }
}
