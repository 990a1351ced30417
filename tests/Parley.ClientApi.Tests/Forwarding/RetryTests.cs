using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Parley.ClientApi.Health;
using Parley.ClientApi.Tests.Infrastructure;
using Parley.ClientApi.Tests.Routing;

namespace Parley.ClientApi.Tests.Forwarding;

/// <summary>Retries go to the next silo of the key's ranking, only before the first response byte and only while the
/// request body can still be sent whole.</summary>
public sealed class RetryTests
{
    // Probes would find a dead silo before any request does; these tests are about what a request finds between two
    // probes, so the silos die after the first probe found them all ready and no probe follows.
    private static readonly Dictionary<string, string?> NoFurtherProbes = new() { ["Parley:FrontEnd:HealthCheckInterval"] = "01:00:00" };

    internal static async Task<FrontEndHost> StartThenKillAsync(string[] silos, EchoBackend[] toKill, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>(NoFurtherProbes);
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        var frontEnd = await FrontEndHost.StartWithSilosAsync(silos, settings);
        await frontEnd.WaitForSilosAsync(s => s.Count == silos.Length && s.All(x => x.IsHealthy));
        foreach (var backend in toKill)
        {
            await backend.DisposeAsync();
        }
        return frontEnd;
    }

    [Fact]
    public async Task Refused_connections_walk_the_keys_ranking_until_a_silo_answers()
    {
        var dead = await EchoBackend.StartAsync();
        await using var second = await EchoBackend.StartAsync();
        await using var third = await EchoBackend.StartAsync();
        var refusing = dead.Url;
        string[] silos = [refusing, second.Url, third.Url];
        var conversation = Ranking.ConversationRanked(silos, refusing, second.Url);
        await using var frontEnd = await StartThenKillAsync(silos, [dead]);

        using var response = await frontEnd.Client.PostAsync($"/v1/conversations/{conversation}/items", new StringContent("hello"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([second.Url], response.Headers.GetValues(EchoBackend.ServedByHeader));
        Assert.Equal((1, 0), (second.Requests, third.Requests));
        // The refusing silo is out of the rotation for its reactivation period.
        var view = frontEnd.View.Silos.Single(s => s.Address == refusing);
        Assert.Equal(SiloHealth.Unhealthy, view.Failures);
    }

    [Fact]
    public async Task Attempts_stop_at_MaxAttempts_with_an_OpenAI_shaped_502()
    {
        var dead1 = await EchoBackend.StartAsync();
        var dead2 = await EchoBackend.StartAsync();
        await using var backend = await EchoBackend.StartAsync();
        string[] silos = [dead1.Url, dead2.Url, backend.Url];
        var conversation = Ranking.ConversationRanked(silos, silos[0], silos[1]);
        await using var frontEnd = await StartThenKillAsync(silos, [dead1, dead2], new() { ["Parley:FrontEnd:MaxAttempts"] = "2" });

        using var response = await frontEnd.Client.PostAsync($"/v1/conversations/{conversation}/items", new StringContent("hello"));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await ForwardingTests.AssertOpenAIErrorAsync(response, "upstream_unavailable");
        Assert.Equal(0, backend.Requests);
    }

    [Fact]
    public async Task A_response_that_started_is_never_retried()
    {
        await using var first = await EchoBackend.StartAsync();
        await using var second = await EchoBackend.StartAsync();
        string[] silos = [first.Url, second.Url];
        var conversation = Ranking.ConversationRanked(silos, first.Url);
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(silos);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/cut");
        request.Headers.Add("X-Parley-Conversation", conversation);

        using var response = await frontEnd.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([first.Url], response.Headers.GetValues(EchoBackend.ServedByHeader));
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        var read = await stream.ReadAtLeastAsync(buffer, "data: one\n\n".Length);
        Assert.Equal("data: one\n\n", Encoding.UTF8.GetString(buffer, 0, read));

        // The silo breaks off after the first event: the client sees a cut stream, not a complete (shorter) one.
        first.OpenGate();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
        });
        Assert.Equal((1, 0), (first.Requests, second.Requests));
    }

    [Fact]
    public async Task A_body_already_streamed_to_a_silo_that_dropped_it_is_not_sent_again()
    {
        await using var dropping = await EchoBackend.StartAsync();
        dropping.DropsConnections = true;
        await using var backend = await EchoBackend.StartAsync();
        string[] silos = [dropping.Url, backend.Url];
        var conversation = Ranking.ConversationRanked(silos, dropping.Url);
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(silos);
        // Routed by the header, so the front end streams the body without holding it.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new PiecewiseContent(RandomNumberGenerator.GetBytes(200_000), 10_000),
        };
        request.Headers.Add("X-Parley-Conversation", conversation);

        using var response = await frontEnd.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        await ForwardingTests.AssertOpenAIErrorAsync(response, "upstream_unavailable");
        Assert.Equal((1, 0), (dropping.Requests, backend.Requests));
    }

    [Fact]
    public async Task A_body_the_front_end_holds_whole_is_replayed_byte_for_byte_to_the_next_silo()
    {
        await using var dropping = await EchoBackend.StartAsync();
        dropping.DropsConnections = true;
        await using var backend = await EchoBackend.StartAsync();
        string[] silos = [dropping.Url, backend.Url];
        var conversation = Ranking.ConversationRanked(silos, dropping.Url);
        await using var frontEnd = await FrontEndHost.StartWithSilosAsync(silos);
        // Routed by its body field, so the front end read (and holds) the whole body.
        var json = $$"""{"model":"m","conversation":"{{conversation}}","messages":[{"role":"user","content":"{{new string('x', 20_000)}}"}]}""";
        var bytes = Encoding.UTF8.GetBytes(json);
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        using var response = await frontEnd.Client.PostAsync("/v1/chat/completions", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([backend.Url], response.Headers.GetValues(EchoBackend.ServedByHeader));
        var digest = BodyRoutingTests.ParseDigest(await response.Content.ReadAsStringAsync());
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), digest["sha256"]);
        Assert.Equal(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), digest["content-length"]);
        Assert.Equal((1, 1), (dropping.Requests, backend.Requests));
    }
}
