using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Parley.ClientApi.Tests.Infrastructure;

namespace Parley.ClientApi.Tests.Forwarding;

/// <summary>A silo stand-in with routes that echo, digest, describe and stream, and a gate the test opens to let a
/// stream continue, so chunk-by-chunk delivery is observable without sleeps. It answers the front end's readiness
/// probe with <see cref="ReadyStatus"/>, and names itself in an <c>X-Served-By</c> header on every answer.</summary>
public sealed class EchoBackend : IAsyncDisposable
{
    public const string ServedByHeader = "X-Served-By";
    private static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(20);
    private readonly TestBackend _server;
    private readonly TaskCompletionSource _gate = NewSignal();
    private int _requests;
    private int _readyStatus = StatusCodes.Status200OK;

    private EchoBackend(TestBackend server) => _server = server;

    public string Url => _server.Url;

    /// <summary>What <c>/health/ready</c> answers (503 stands for a draining silo).</summary>
    public int ReadyStatus
    {
        get => Volatile.Read(ref _readyStatus);
        set => Volatile.Write(ref _readyStatus, value);
    }

    /// <summary>When set, every request (but the probes) gets one byte of its body read, then its connection dropped
    /// without an answer: a silo dying while it takes a request.</summary>
    public bool DropsConnections { get; set; }

    /// <summary>How many requests other than health probes reached this backend.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Set just before the stream route writes its second chunk.</summary>
    public bool SecondChunkWritten { get; private set; }

    /// <summary>Completes when the stream route sees its request aborted.</summary>
    public TaskCompletionSource StreamAborted { get; } = NewSignal();

    public void OpenGate() => _gate.TrySetResult();

    /// <summary>The same stand-in speaking only cleartext HTTP/2 (prior knowledge), as a silo's front-end port does.</summary>
    public static Task<EchoBackend> StartHttp2Async()
        => StartAsync(configure: builder => builder.WebHost.ConfigureKestrel(k => k.ConfigureEndpointDefaults(l => l.Protocols = HttpProtocols.Http2)));

    /// <param name="listenUrl">Where it listens (port 0: one the OS picks).</param>
    /// <param name="configure">Adds to the host before it is built (e.g. makes it an Orleans silo).</param>
    public static async Task<EchoBackend> StartAsync(string listenUrl = "http://127.0.0.1:0", Action<WebApplicationBuilder>? configure = null)
    {
        EchoBackend? backend = null;
        var server = await TestBackend.StartAsync(app =>
        {
            app.Use((context, next) =>
            {
                context.Response.Headers[ServedByHeader] = backend!.Url;
                if (context.Request.Path.StartsWithSegments("/health"))
                {
                    return next(context);
                }
                Interlocked.Increment(ref backend._requests);
                return backend.DropsConnections ? DropAfterFirstByteAsync(context) : next(context);
            });
            app.MapGet("/health/ready", context =>
            {
                context.Response.StatusCode = backend!.ReadyStatus;
                return Task.CompletedTask;
            });
            app.MapPost("/v1/echo", EchoAsync);
            app.MapPost("/v1/digest", DigestAsync);
            app.MapPost("/v1/chat/completions", DigestAsync);
            app.MapPost("/v1/conversations/{id}/items", DigestAsync);
            app.MapGet("/v1/cut", context => backend!.CutAfterFirstEventAsync(context));
            app.Map("/v1/headers", DescribeAsync);
            app.MapGet("/v1/stream", context => backend!.StreamAsync(context));
        }, listenUrl, configure);
        backend = new EchoBackend(server);
        return backend;
    }

    // Takes one byte of the body, then drops the connection without answering: the request has left the front end.
    private static async Task DropAfterFirstByteAsync(HttpContext context)
    {
        var buffer = new byte[1];
        await context.Request.Body.ReadAtLeastAsync(buffer, 1, throwOnEndOfStream: false, context.RequestAborted);
        context.Abort();
    }

    // Answers the status and a first event, waits for the gate (the client has the event), then drops the
    // connection: the response had started.
    private async Task CutAfterFirstEventAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync("data: one\n\n");
        await context.Response.Body.FlushAsync();
        await _gate.Task.WaitAsync(GateTimeout);
        context.Abort();
    }

    private static async Task EchoAsync(HttpContext context)
    {
        context.Response.ContentType = "application/octet-stream";
        await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private static async Task DigestAsync(HttpContext context)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[8192];
        long length = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            length += read;
        }
        var text = new StringBuilder()
            .Append("length=").Append(length).Append('\n')
            .Append("sha256=").Append(Convert.ToHexString(sha.GetHashAndReset())).Append('\n')
            .Append("content-length=").Append(context.Request.Headers.ContentLength).Append('\n')
            .Append("transfer-encoding=").Append(context.Request.Headers.TransferEncoding.ToString()).Append('\n')
            .Append("content-type=").Append(context.Request.ContentType).Append('\n')
            .Append("path=").Append(context.Request.Path.Value).Append('\n')
            .Append("protocol=").Append(context.Request.Protocol).Append('\n')
            .Append("connection=").Append(context.Connection.Id).Append('\n');
        await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }

    private static async Task DescribeAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status418ImATeapot;
        context.Response.Headers["X-Backend"] = "yes";
        context.Response.Headers["x-request-id"] = "req_from_silo";
        context.Response.Headers.Append("X-Multi", "one");
        context.Response.Headers.Append("X-Multi", "two");
        context.Response.Headers["Keep-Alive"] = "timeout=5";
        context.Response.Headers["Proxy-Authenticate"] = "Basic";
        context.Response.Headers["Connection"] = "close";
        context.Response.ContentType = "text/plain";
        var text = new StringBuilder()
            .Append("method=").Append(context.Request.Method).Append('\n')
            .Append("target=").Append(context.Features.Get<IHttpRequestFeature>()!.RawTarget).Append('\n');
        foreach (var header in context.Request.Headers.OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            text.Append(header.Key.ToLowerInvariant()).Append(": ").Append(header.Value.ToString()).Append('\n');
        }
        await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }

    private async Task StreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync("data: one\n\n");
        await context.Response.Body.FlushAsync();
        try
        {
            await _gate.Task.WaitAsync(GateTimeout, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            StreamAborted.TrySetResult();
            return;
        }
        SecondChunkWritten = true;
        await context.Response.WriteAsync("data: two\n\n");
        await context.Response.Body.FlushAsync();
        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        OpenGate();
        await _server.DisposeAsync();
    }
}
