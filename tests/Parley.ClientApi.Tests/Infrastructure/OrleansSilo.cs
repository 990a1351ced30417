using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Parley.ClientApi.Tests.Forwarding;
using Parley.Testing;

namespace Parley.ClientApi.Tests.Infrastructure;

/// <summary>A real Orleans silo in process (Redis clustering, like Parley's silos) that also serves the echo routes
/// over HTTP at its own loopback address, the way every silo serves HTTP at its pod IP on one shared port.</summary>
public static class OrleansSilo
{
    public const string ServiceId = "parley-frontend-tests";

    public static Task<EchoBackend> StartAsync(IPAddress address, int httpPort, string redis, string clusterId)
    {
        var url = string.Create(CultureInfo.InvariantCulture, $"http://{address}:{httpPort}");
        return EchoBackend.StartAsync(url, builder => builder.UseOrleans(silo => silo
            .UseRedisClustering(redis)
            .Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = ServiceId;
            })
            .Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = address;
                o.SiloPort = FreePort.Next();
                o.GatewayPort = FreePort.Next();
            })));
    }
}
