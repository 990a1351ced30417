using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Parley.Bench.FrontEnd;

/// <summary>A trivially fast stand-in for a silo (in process, on loopback): a small chat completion as JSON, the same
/// as a server-sent event stream, and a readiness probe. What the front end adds is measured against it.</summary>
internal sealed class EchoSilo : IAsyncDisposable
{
    private const string Completion =
        """{"id":"chatcmpl-bench","object":"chat.completion","created":1795000000,"model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the bench silo."},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":6,"total_tokens":18}}""";

    private const string Chunk =
        """data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1795000000,"model":"bench","choices":[{"index":0,"delta":{"content":"token "},"finish_reason":null}]}""" + "\n\n";

    private static readonly byte[] CompletionBytes = System.Text.Encoding.UTF8.GetBytes(Completion);
    private static readonly byte[] ChunkBytes = System.Text.Encoding.UTF8.GetBytes(Chunk);
    private static readonly byte[] DoneBytes = "data: [DONE]\n\n"u8.ToArray();

    private readonly WebApplication _app;

    private EchoSilo(WebApplication app, int port, int http2Port)
    {
        _app = app;
        Url = $"http://127.0.0.1:{port}";
        Http2Url = $"http://127.0.0.1:{http2Port}";
    }

    /// <summary>HTTP/1.1, as wrk speaks.</summary>
    public string Url { get; }

    /// <summary>The same on cleartext HTTP/2 (prior knowledge), as a silo's front-end port.</summary>
    public string Http2Url { get; }

    public static async Task<EchoSilo> StartAsync(int port, int http2Port, int streamEvents)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Listen(IPAddress.Loopback, http2Port, o => o.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.MapGet("/health/ready", () => Results.Text("Healthy"));
        app.MapPost("/v1/chat/completions", async context =>
        {
            // Read the request like a silo would (it must, to parse it), then answer.
            await DrainAsync(context.Request);
            if (context.Request.Headers.ContainsKey("X-Bench-Stream"))
            {
                await StreamAsync(context, streamEvents);
                return;
            }
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = CompletionBytes.Length;
            await context.Response.Body.WriteAsync(CompletionBytes, context.RequestAborted);
        });
        await app.StartAsync();
        return new EchoSilo(app, port, http2Port);
    }

    private static async Task DrainAsync(HttpRequest request)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (await request.Body.ReadAsync(buffer, request.HttpContext.RequestAborted) > 0)
            {
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task StreamAsync(HttpContext context, int events)
    {
        context.Response.ContentType = "text/event-stream";
        for (var i = 0; i < events; i++)
        {
            await context.Response.Body.WriteAsync(ChunkBytes, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
        await context.Response.Body.WriteAsync(DoneBytes, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
