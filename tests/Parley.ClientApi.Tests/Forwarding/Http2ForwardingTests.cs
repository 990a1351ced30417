using System.Net;
using System.Security.Cryptography;
using Parley.ClientApi.Tests.Infrastructure;

namespace Parley.ClientApi.Tests.Forwarding;

/// <summary>The front end with <c>Parley:FrontEnd:SiloProtocol=Http2</c> before silo stand-ins that speak only cleartext
/// HTTP/2 (as a silo's front-end port does): bodies, streams and cancellation behave as over HTTP/1.1, concurrent
/// requests share one connection, and a refused silo still falls back to the next one.</summary>
public sealed class Http2ForwardingTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(10);
    private static readonly Dictionary<string, string?> Http2 = new() { ["Parley:FrontEnd:SiloProtocol"] = "Http2" };

    [Fact]
    public async Task A_large_body_streams_through_both_ways_intact_over_http2()
    {
        await using var backend = await EchoBackend.StartHttp2Async();
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync([backend.Url], Http2);
        var data = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);

        using var echoed = await frontEnd.Client.PostAsync("/v1/echo", new PiecewiseContent(data, 50_000));
        Assert.Equal(HttpStatusCode.OK, echoed.StatusCode);
        Assert.Equal(data, await echoed.Content.ReadAsByteArrayAsync());

        var seen = await ForwardingTests.DigestAsync(frontEnd.Client, "/v1/digest", new ByteArrayContent(data));
        Assert.Equal("HTTP/2", seen["protocol"]);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), seen["sha256"]);
        Assert.Equal(data.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), seen["content-length"]);
    }

    [Fact]
    public async Task Server_sent_events_arrive_one_chunk_at_a_time_and_a_client_that_goes_away_cancels_the_silo_stream()
    {
        await using var backend = await EchoBackend.StartHttp2Async();
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync([backend.Url], Http2);

        using (var response = await frontEnd.Client.GetAsync("/v1/stream", HttpCompletionOption.ResponseHeadersRead))
        await using (var stream = await response.Content.ReadAsStreamAsync())
        {
            // The stand-in is parked on its gate after the first event: receiving it proves nothing was held back.
            Assert.Equal("data: one\n\n", await ForwardingTests.ReadUntilAsync(stream, "data: one\n\n"));
            Assert.False(backend.SecondChunkWritten);
            backend.OpenGate();
            Assert.Equal("data: two\n\ndata: [DONE]\n\n", await ForwardingTests.ReadToEndAsync(stream));
        }

        await using var parked = await EchoBackend.StartHttp2Async();
        await using var second = await FrontEndHost.StartWithSilosAsync([parked.Url], Http2);
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri(second.Url) };
        var abandoned = await client.GetAsync("/v1/stream", HttpCompletionOption.ResponseHeadersRead);
        await ForwardingTests.ReadUntilAsync(await abandoned.Content.ReadAsStreamAsync(), "data: one\n\n");

        abandoned.Dispose();

        // Only that stream is reset on the shared connection: the silo sees its request aborted.
        await parked.StreamAborted.Task.WaitAsync(StepTimeout);
        Assert.False(parked.SecondChunkWritten);
    }

    [Fact]
    public async Task Concurrent_requests_share_one_connection_to_the_silo()
    {
        await using var backend = await EchoBackend.StartHttp2Async();
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync([backend.Url], Http2);
        var first = await ForwardingTests.DigestAsync(frontEnd.Client, "/v1/digest", new ByteArrayContent([1]));

        var answers = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            ForwardingTests.DigestAsync(frontEnd.Client, "/v1/digest", new ByteArrayContent(RandomNumberGenerator.GetBytes(1000 + i)))));

        // 32 requests in flight at once (the front end's client opens 32 connections to it) reached the silo on the
        // one connection the first request opened: well under Kestrel's 100 streams per connection.
        Assert.All(answers, a => Assert.Equal(first["connection"], a["connection"]));
        Assert.Equal(Enumerable.Range(0, 32).Select(i => (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            answers.Select(a => a["length"]));
        Assert.Equal(33, backend.Requests);
    }

    [Fact]
    public async Task A_refusing_silo_first_in_the_ranking_falls_back_to_the_next_with_the_body_intact()
    {
        var dead = await EchoBackend.StartHttp2Async();
        await using var backend = await EchoBackend.StartHttp2Async();
        var refusing = dead.Url;
        var conversation = Ranking.ConversationRanked([refusing, backend.Url], refusing);
        await using var frontEnd = await RetryTests.StartThenKillAsync([refusing, backend.Url], [dead],
            new(Http2) { ["Parley:FrontEnd:ReactivationPeriod"] = "00:00:00.001" });
        var data = RandomNumberGenerator.GetBytes(300_000);

        var seen = await ForwardingTests.DigestAsync(frontEnd.Client, $"/v1/conversations/{conversation}/items", new ByteArrayContent(data));

        Assert.Equal(Convert.ToHexString(SHA256.HashData(data)), seen["sha256"]);
        Assert.Equal("HTTP/2", seen["protocol"]);
        Assert.Equal(1, backend.Requests);
    }

    [Fact]
    public async Task A_silo_port_without_http2_is_an_OpenAI_shaped_502_never_a_silent_downgrade()
    {
        await using var backend = await EchoBackend.StartAsync();
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync([backend.Url], Http2);

        using var response = await frontEnd.Client.PostAsync("/v1/chat/completions", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await ForwardingTests.AssertOpenAIErrorAsync(response, "upstream_unavailable");
        Assert.Equal(0, backend.Requests);
    }
}
