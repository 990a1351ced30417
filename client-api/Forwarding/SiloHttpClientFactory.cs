using System.Net.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Hosting;
using Yarp.ReverseProxy.Forwarder;

namespace Parley.ClientApi.Forwarding;

/// <summary>YARP's pooled handler to the silos, with the front end's connection settings on top of YARP's defaults
/// (no proxy, redirects, cookies or decompression).</summary>
internal sealed class SiloHttpClientFactory(IOptions<FrontEndOptions> options, ILogger<ForwarderHttpClientFactory> logger)
    : ForwarderHttpClientFactory(logger)
{
    private readonly FrontEndOptions _options = options.Value;

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ConnectTimeout = _options.ConnectTimeout;
        handler.PooledConnectionLifetime = _options.PooledConnectionLifetime;
        handler.PooledConnectionIdleTimeout = _options.PooledConnectionIdleTimeout;
        // A response abandoned mid-stream (the client went away) closes its connection at once, so the silo sees the
        // abort and stops its upstream call, instead of the pool reading on to reuse the connection.
        handler.MaxResponseDrainSize = 0;
        // YARP's propagator stays: the client's traceparent is replaced by the front end's own span, so a chat turn is
        // one trace from the front end through the silo.
    }
}
