using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Parley.Sim.Hosting;
using Parley.Sim.Observability;
using Parley.Sim.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.Sim.Tests.Hosting;

/// <summary>A body that ends before its length (a client, such as a killed silo, that went away mid-body) or is malformed
/// on the wire is the client's doing: the simulator answers 400 where someone is left to read it and logs it at Debug,
/// never as its own failure.</summary>
public sealed class BrokenBodyTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_client_that_leaves_mid_body_is_not_logged_as_a_failure()
    {
        var logs = new CapturedLogs();
        await using var app = await StartAsync(logs);
        var state = app.Services.GetRequiredService<SimulatorState>();

        using (var socket = await ConnectAsync(app))
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(Head("Content-Length: 100") + """{"model":"sim-small","mess"""));
            await Poll.UntilAsync(() => state.RequestsReceived == 1, "the simulator has the request", Bound);
            // What a killed process's socket does: its end is closed (FIN), the rest of the body never comes.
            socket.Shutdown(SocketShutdown.Send);
        }

        // Kestrel either ends the body read early (logged at Debug, event 7) or aborts the request first; which one depends
        // on timing. Either way the simulator must not log it as its own failure (the malformed-body test below pins the
        // Debug line).
        await Poll.UntilAsync(() => state.InFlight == 0, "the request is finished", Bound);
        Assert.True(!logs.Errors.Any(), string.Join("\n", logs.Lines));
        Assert.Equal(0, state.Completed);

        using var client = new HttpClient { BaseAddress = Url(app) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", SimClient.Key);
        using var next = await client.PostChatAsync(SimClient.Body("still here"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task A_malformed_chunked_body_is_answered_400_as_openai_words_it()
    {
        var logs = new CapturedLogs();
        await using var app = await StartAsync(logs);

        using var socket = await ConnectAsync(app);
        await socket.SendAsync(Encoding.ASCII.GetBytes(Head("Transfer-Encoding: chunked") + "zz\r\n{}\r\n0\r\n\r\n"));
        var response = await ReadResponseAsync(socket);

        Assert.StartsWith("HTTP/1.1 400 ", response, StringComparison.Ordinal);
        // The body is chunked: the JSON is between its first '{' and last '}'.
        using var body = JsonDocument.Parse(response[response.IndexOf('{', StringComparison.Ordinal)..(response.LastIndexOf('}') + 1)]);
        var error = body.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.StartsWith("We could not parse the JSON body", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(logs.Errors);
        Assert.Contains(logs.Lines, l => l.StartsWith("Debug Parley.Sim.Chat.ChatCompletionsEndpoint[7]", StringComparison.Ordinal));
    }

    private static string Head(string framing)
        => $"POST /v1/chat/completions HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer {SimClient.Key}\r\nContent-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n";

    /// <summary>The simulator as a host maps it, with every log line kept (Debug and up).</summary>
    private static async Task<WebApplication> StartAsync(CapturedLogs logs)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSimulator(new ConfigurationBuilder().Build(), o => o.ResponseTokens = 4);
        var app = builder.Build();
        app.MapSimulator();
        await app.StartAsync();
        return app;
    }

    private static Uri Url(WebApplication app)
        => new(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First() + "/");

    private static async Task<Socket> ConnectAsync(WebApplication app)
    {
        var url = Url(app);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, url.Port);
        return socket;
    }

    /// <summary>Everything the simulator sends until it closes the connection (the request asked it to).</summary>
    private static async Task<string> ReadResponseAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Bound);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }
        return Encoding.UTF8.GetString(received.ToArray());
    }
}
