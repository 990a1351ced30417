using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Parley.Silo.Tests.Quotas.Alerts;

/// <param name="ReceivedAt">The test clock when the request arrived.</param>
public sealed record ReceivedWebhook(int Number, byte[] Body, string Text, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ReceivedAt);

/// <summary>A real Kestrel server on 127.0.0.1 (OS-chosen port) receiving alert webhooks: it records each request and
/// answers what the test's responder says (which may hold the answer until the test releases it).</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    public const string Path = "/hooks/quota";
    private static readonly TimeSpan WaitBound = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly Channel<ReceivedWebhook> _arrivals = Channel.CreateUnbounded<ReceivedWebhook>();
    private readonly List<ReceivedWebhook> _all = [];
    private readonly TimeProvider _clock;
    private Func<ReceivedWebhook, HttpContext, Task<int>> _respond = static (_, _) => Task.FromResult(200);

    private WebhookReceiver(TimeProvider clock)
    {
        _clock = clock;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        _app = builder.Build();
        _app.MapPost(Path, HandleAsync);
    }

    public string Url { get; private set; } = "";

    public int Count
    {
        get
        {
            lock (_all)
            {
                return _all.Count;
            }
        }
    }

    public static async Task<WebhookReceiver> StartAsync(TimeProvider clock)
    {
        var receiver = new WebhookReceiver(clock);
        await receiver._app.StartAsync();
        var address = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address + Path;
        return receiver;
    }

    /// <summary>Sets the answer to every later request (by its 1-based number).</summary>
    public void Respond(Func<ReceivedWebhook, HttpContext, Task<int>> respond) => _respond = respond;

    public void RespondWith(Func<int, int> statusByNumber) => _respond = (r, _) => Task.FromResult(statusByNumber(r.Number));

    /// <summary>The next request in arrival order, waiting a bounded (real) time for it.</summary>
    public async Task<ReceivedWebhook> NextAsync()
    {
        using var cts = new CancellationTokenSource(WaitBound);
        try
        {
            return await _arrivals.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No webhook arrived within {WaitBound} ({Count} so far).");
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        ReceivedWebhook received;
        lock (_all)
        {
            received = new ReceivedWebhook(_all.Count + 1, body, System.Text.Encoding.UTF8.GetString(body), headers, _clock.GetUtcNow());
            _all.Add(received);
        }
        _arrivals.Writer.TryWrite(received);
        context.Response.StatusCode = await _respond(received, context);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
