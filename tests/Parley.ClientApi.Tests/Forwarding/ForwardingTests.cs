using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Parley.ClientApi.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.ClientApi.Tests.Forwarding;

public sealed class ForwardingTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_large_chunked_body_streams_through_both_ways_intact()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(backend.Url);
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);

        using var response = await frontEnd.Client.PostAsync("/v1/echo", new PiecewiseContent(data, 50_000));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(data, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_known_length_is_preserved_and_a_chunked_body_stays_chunked()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(backend.Url);
        var data = RandomNumberGenerator.GetBytes(1_000_003);
        var expectedHash = Convert.ToHexString(SHA256.HashData(data));

        var fixedLength = new ByteArrayContent(data);
        fixedLength.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var known = await DigestAsync(frontEnd.Client, "/v1/digest", fixedLength);
        Assert.Equal("1000003", known["length"]);
        Assert.Equal(expectedHash, known["sha256"]);
        Assert.Equal("1000003", known["content-length"]);
        Assert.Equal("", known["transfer-encoding"]);
        Assert.Equal("application/json", known["content-type"]);

        var chunked = await DigestAsync(frontEnd.Client, "/v1/digest", new PiecewiseContent(data, 65_536));
        Assert.Equal(expectedHash, chunked["sha256"]);
        Assert.Equal("", chunked["content-length"]);
        Assert.Equal("chunked", chunked["transfer-encoding"]);
    }

    [Fact]
    public async Task Server_sent_events_arrive_one_chunk_at_a_time()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(backend.Url);

        using var response = await frontEnd.Client.GetAsync("/v1/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync();

        // The backend is parked on the gate after chunk one: receiving it now proves nothing was held back.
        Assert.Equal("data: one\n\n", await ReadUntilAsync(stream, "data: one\n\n"));
        Assert.False(backend.SecondChunkWritten);

        backend.OpenGate();
        Assert.Equal("data: two\n\ndata: [DONE]\n\n", await ReadToEndAsync(stream));
        Assert.True(backend.SecondChunkWritten);
    }

    [Fact]
    public async Task Status_and_headers_are_copied_and_hop_by_hop_headers_are_dropped_both_ways()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(backend.Url);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/headers?a=1&b=%2Fx%20y");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-parley-test");
        request.Headers.TryAddWithoutValidation("X-Custom", "kept");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic c2VjcmV0");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "300");
        request.Headers.TryAddWithoutValidation("Upgrade", "h2c");
        request.Headers.TryAddWithoutValidation("X-Parley-Conversation", "conv_1");
        request.Headers.TryAddWithoutValidation("x-request-id", "req_123");

        using var response = await frontEnd.Client.SendAsync(request);

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal(["yes"], response.Headers.GetValues("X-Backend"));
        Assert.Equal(["one", "two"], response.Headers.GetValues("X-Multi").SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)));
        Assert.False(response.Headers.Contains("Keep-Alive"));
        Assert.False(response.Headers.Contains("Proxy-Authenticate"));
        Assert.NotEqual(true, response.Headers.ConnectionClose);
        // The silo's own Server and Date, not a second copy added by the front end's Kestrel.
        Assert.Single(response.Headers.GetValues("Server"));
        Assert.Single(response.Headers.GetValues("Date"));
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);

        var seen = Parse(await response.Content.ReadAsStringAsync(), ": ", "=");
        Assert.Equal("GET", seen["method"]);
        Assert.Equal("/v1/headers?a=1&b=%2Fx%20y", seen["target"]);
        Assert.Equal("Bearer sk-parley-test", seen["authorization"]);
        Assert.Equal("kept", seen["x-custom"]);
        Assert.Equal("conv_1", seen["x-parley-conversation"]);
        Assert.Equal("req_123", seen["x-request-id"]);
        Assert.Equal(["req_from_silo"], response.Headers.GetValues("x-request-id"));
        Assert.False(seen.ContainsKey("proxy-authorization"));
        Assert.False(seen.ContainsKey("keep-alive"));
        Assert.False(seen.ContainsKey("upgrade"));
    }

    [Fact]
    public async Task A_refusing_silo_first_in_the_ranking_falls_back_to_the_next_with_the_body_intact()
    {
        var dead = await EchoBackend.StartAsync();
        await using var backend = await EchoBackend.StartAsync();
        var refusing = dead.Url;
        var conversation = Ranking.ConversationRanked([refusing, backend.Url], refusing);
        // The silo dies after the first probe, so the requests (not a probe) find it gone.
        await using var frontEnd = await RetryTests.StartThenKillAsync([refusing, backend.Url], [dead], new() { ["Parley:FrontEnd:ReactivationPeriod"] = "00:00:00.001" });
        var data = RandomNumberGenerator.GetBytes(300_000);

        var known = await DigestAsync(frontEnd.Client, $"/v1/conversations/{conversation}/items", new ByteArrayContent(data));
        var chunked = await DigestAsync(frontEnd.Client, $"/v1/conversations/{conversation}/items", new PiecewiseContent(data, 10_000));

        var expected = Convert.ToHexString(SHA256.HashData(data));
        Assert.Equal(expected, known["sha256"]);
        Assert.Equal("300000", known["content-length"]);
        Assert.Equal(expected, chunked["sha256"]);
        Assert.Equal("chunked", chunked["transfer-encoding"]);
        Assert.Equal($"/v1/conversations/{conversation}/items", known["path"]);
        Assert.Equal(2, backend.Requests);
    }

    [Fact]
    public async Task When_every_silo_refuses_the_client_gets_an_OpenAI_shaped_502()
    {
        var first = $"http://127.0.0.1:{FreePort.Next()}";
        var second = $"http://127.0.0.1:{FreePort.Next()}";
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(first, second);

        using var response = await frontEnd.Client.PostAsync("/v1/chat/completions", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await AssertOpenAIErrorAsync(response, "upstream_unavailable");
    }

    [Fact]
    public async Task A_client_that_goes_away_cancels_the_silo_call()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(backend.Url);
        // No draining: disposing the unfinished response closes its connection (by default the pool would first
        // try to read the rest, to reuse the connection).
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri(frontEnd.Url) };
        var response = await client.GetAsync("/v1/stream", HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        await ReadUntilAsync(stream, "data: one\n\n");

        response.Dispose();

        await backend.StreamAborted.Task.WaitAsync(StepTimeout);
        Assert.False(backend.SecondChunkWritten);
    }

    [Fact]
    public async Task The_front_end_is_live_and_ready_with_a_silo_configured()
    {
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync("http://127.0.0.1:9");
        Assert.Equal("Healthy", await frontEnd.Client.GetStringAsync("/health/live"));
        Assert.Equal("Healthy", await frontEnd.Client.GetStringAsync("/health/startup"));
        using var ready = JsonDocument.Parse(await frontEnd.Client.GetStringAsync("/health/ready"));
        Assert.Equal("Healthy", ready.RootElement.GetProperty("status").GetString());
        Assert.Equal(1, ready.RootElement.GetProperty("silos").GetInt32());
    }

    internal static async Task AssertOpenAIErrorAsync(HttpResponseMessage response, string code)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = json.RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
    }

    internal static async Task<Dictionary<string, string>> DigestAsync(HttpClient client, string path, HttpContent content)
    {
        using var response = await client.PostAsync(path, content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Parse(await response.Content.ReadAsStringAsync(), "=");
    }

    private static Dictionary<string, string> Parse(string text, params string[] separators)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(separators, 2, StringSplitOptions.None);
            result[parts[0]] = parts.Length > 1 ? parts[1] : "";
        }
        return result;
    }

    internal static async Task<string> ReadUntilAsync(Stream stream, string expected)
    {
        using var cts = new CancellationTokenSource(StepTimeout);
        var received = new StringBuilder();
        var buffer = new byte[1024];
        while (received.Length < expected.Length)
        {
            var read = await stream.ReadAsync(buffer, cts.Token);
            Assert.NotEqual(0, read);
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return received.ToString();
    }

    internal static async Task<string> ReadToEndAsync(Stream stream)
    {
        using var cts = new CancellationTokenSource(StepTimeout);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cts.Token);
    }
}
