using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Parley.ClientApi.Tests.Forwarding;
using Parley.ClientApi.Tests.Infrastructure;

namespace Parley.ClientApi.Tests.Routing;

/// <summary>The <c>conversation</c> field of a JSON body routes the request like the header would, and the body still
/// reaches the silo byte for byte, whether the front end read it whole or gave up at the peek limit.</summary>
public sealed class BodyRoutingTests
{
    private const int PeekLimit = 4096;

    [Fact]
    public async Task Each_conversation_in_the_body_lands_on_its_first_ranked_silo_with_the_body_intact()
    {
        await using var a = await EchoBackend.StartAsync();
        await using var b = await EchoBackend.StartAsync();
        await using var c = await EchoBackend.StartAsync();
        string[] silos = [a.Url, b.Url, c.Url];
        await using var frontEnd = await StartAsync(silos);

        for (var i = 0; i < 24; i++)
        {
            var conversation = $"conv_body_{i}";
            var bytes = ChatBody(conversation, 200);
            // Every second body is sent chunked (no Content-Length): it too is read whole within the limit.
            HttpContent content = i % 2 == 0 ? new ByteArrayContent(bytes) : new PiecewiseContent(bytes, 100);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-parley-same-key-for-all");

            using var response = await frontEnd.Client.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal([Ranking.Of(conversation, silos)[0]], response.Headers.GetValues(EchoBackend.ServedByHeader));
            var digest = ParseDigest(await response.Content.ReadAsStringAsync());
            Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), digest["sha256"]);
            Assert.Equal(i % 2 == 0 ? bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) : "", digest["content-length"]);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_larger_than_the_peek_routes_by_the_callers_key_and_streams_intact(bool knownLength)
    {
        await using var a = await EchoBackend.StartAsync();
        await using var b = await EchoBackend.StartAsync();
        string[] silos = [a.Url, b.Url];
        // A conversation and a key ranked on different silos, so the test sees which one routed.
        var key = "Bearer sk-parley-k0";
        var conversation = Ranking.ConversationRanked(silos, Ranking.Of(key, silos)[1]);
        await using var frontEnd = await StartAsync(silos);
        var bytes = ChatBody(conversation, PeekLimit * 5);
        HttpContent content = knownLength ? new ByteArrayContent(bytes) : new PiecewiseContent(bytes, 1000);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", key);

        using var response = await frontEnd.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([Ranking.Of(key, silos)[0]], response.Headers.GetValues(EchoBackend.ServedByHeader));
        var digest = ParseDigest(await response.Content.ReadAsStringAsync());
        Assert.Equal(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), digest["length"]);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), digest["sha256"]);
        Assert.Equal(knownLength ? "" : "chunked", digest["transfer-encoding"]);
    }

    [Fact]
    public async Task The_header_wins_over_the_body_which_is_then_not_read_ahead()
    {
        await using var a = await EchoBackend.StartAsync();
        await using var b = await EchoBackend.StartAsync();
        string[] silos = [a.Url, b.Url];
        var byHeader = Ranking.ConversationRanked(silos, a.Url);
        var byBody = Ranking.ConversationRanked(silos, b.Url);
        await using var frontEnd = await StartAsync(silos);
        var content = new ByteArrayContent(ChatBody(byBody, 10));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        request.Headers.Add("X-Parley-Conversation", byHeader);

        using var response = await frontEnd.Client.SendAsync(request);

        Assert.Equal([a.Url], response.Headers.GetValues(EchoBackend.ServedByHeader));
    }

    private static Task<FrontEndHost> StartAsync(string[] silos) => FrontEndHost.StartWithSilosAsync(silos, new Dictionary<string, string?>
    {
        ["Parley:FrontEnd:RoutingBodyPeekBytes"] = PeekLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });

    // The conversation after the messages, so the scan has to get past them.
    private static byte[] ChatBody(string conversation, int contentLength)
        => Encoding.UTF8.GetBytes($$"""{"model":"m","messages":[{"role":"user","content":"{{new string('y', contentLength)}}"}],"conversation":"{{conversation}}"}""");

    internal static Dictionary<string, string> ParseDigest(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('=', 2);
            result[parts[0]] = parts.Length > 1 ? parts[1] : "";
        }
        return result;
    }
}
