using System.Net;
using Microsoft.Extensions.Options;
using Parley.ClientApi.Hosting;

namespace Parley.ClientApi.Forwarding;

/// <summary>The one pooled connection handler to all silos. An <see cref="HttpMessageInvoker"/> rather than an
/// HttpClient: no overall timeout (streams last as long as the silo streams) and no default headers.</summary>
public sealed class ForwarderHttpClient : IDisposable
{
    public ForwarderHttpClient(IOptions<FrontEndOptions> options)
    {
        var o = options.Value;
        var handler = new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            ConnectTimeout = o.ConnectTimeout,
            PooledConnectionLifetime = o.PooledConnectionLifetime,
            PooledConnectionIdleTimeout = o.PooledConnectionIdleTimeout,
            MaxConnectionsPerServer = o.MaxConnectionsPerServer,
            // A response abandoned mid-stream (the client went away) closes its connection at once, so the silo sees
            // the abort and stops its upstream call, instead of the pool reading on to reuse the connection.
            MaxResponseDrainSize = 0,
            // Trace context is forwarded as a header like any other; the front end adds no spans of its own here.
            ActivityHeadersPropagator = null,
        };
        Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public HttpMessageInvoker Invoker { get; }

    public void Dispose() => Invoker.Dispose();
}
