using System.Net;
using System.Text;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Cache;

/// <summary>The response cache through real HTTP, a real silo and a real simulator: what is answered from the cache,
/// what reaches the upstream (the simulator's request counter), and what the client sees. Tests in this class share
/// one silo and run one at a time; each uses its own message text so no test can hit another's entries.</summary>
public sealed class ResponseCacheHttpTests(ResponseCacheHttpTests.Fixture fixture) : IClassFixture<ResponseCacheHttpTests.Fixture>
{
    private const string CacheHeader = "x-parley-cache";
    private const string UnknownUpstreamModel = "ghost";

    public sealed class Fixture : SiloFixture
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            settings[$"Parley:Models:{UnknownUpstreamModel}:Provider"] = SiloHarness.ProviderName;
            settings[$"Parley:Models:{UnknownUpstreamModel}:UpstreamModel"] = "no-such-upstream-model";
        }
    }

    private SiloHarness Harness => fixture.Harness;
    private HttpClient Client => fixture.Client;
    private long Upstream => Harness.SimState.RequestsReceived;

    private static string Unique(string label) => $"{label} {Guid.NewGuid():N}";

    private static string Body(string content, string extra = ",\"temperature\":0", string model = SiloHarness.Model)
        => $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{content}}"}]{{extra}}}""";

    private static Action<HttpRequestMessage> WithHeader(string name, string value) => request => request.Headers.TryAddWithoutValidation(name, value);

    private static async Task<byte[]> SendOkAsync(HttpClient client, string body, string cache, Action<HttpRequestMessage>? configure = null)
    {
        using var response = await client.PostChatAsync(body, configure);
        return await AssertOkAsync(response, cache);
    }

    private static string Text(byte[] utf8) => Encoding.UTF8.GetString(utf8);

    private static async Task<byte[]> AssertOkAsync(HttpResponseMessage response, string cache)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        Assert.Equal(cache, response.Header(CacheHeader));
        return bytes;
    }

    [Fact]
    public async Task An_identical_deterministic_request_is_answered_from_the_cache_byte_for_byte()
    {
        var body = Body(Unique("deterministic"));
        var before = Upstream;

        using var miss = await Client.PostChatAsync(body);
        var missBytes = await AssertOkAsync(miss, "miss");
        using var hit = await Client.PostChatAsync(body);
        var hitBytes = await AssertOkAsync(hit, "hit");

        Assert.Equal(before + 1, Upstream);
        Assert.Equal(missBytes, hitBytes);
        Assert.Equal("application/json", hit.ContentType()?.MediaType);
        Assert.Equal(miss.Header("x-parley-prompt-tokens"), hit.Header("x-parley-prompt-tokens"));
        Assert.Equal(SiloHarness.Model, hit.Header("x-parley-model"));
        Assert.NotEqual(miss.Header("x-request-id"), hit.Header("x-request-id"));
    }

    [Fact]
    public async Task A_streamed_request_is_replayed_as_the_same_events_with_usage_only_when_asked()
    {
        var content = Unique("streamed");
        var plain = Body(content, ",\"temperature\":0,\"stream\":true");
        var withUsage = Body(content, ",\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}");
        var before = Upstream;

        using var miss = await Client.PostChatAsync(plain);
        var missEvents = Http.DataEvents(Text(await AssertOkAsync(miss, "miss")));
        using var hitWithUsage = await Client.PostChatAsync(withUsage);
        var usageEvents = Http.DataEvents(Text(await AssertOkAsync(hitWithUsage, "hit")));
        using var hit = await Client.PostChatAsync(plain);
        var hitEvents = Http.DataEvents(Text(await AssertOkAsync(hit, "hit")));

        // Both variants send the upstream the same body (usage is always requested), so one call answers both.
        Assert.Equal(before + 1, Upstream);
        Assert.Equal("text/event-stream", hit.ContentType()?.MediaType);
        Assert.Equal("text/event-stream", hitWithUsage.ContentType()?.MediaType);
        Assert.Equal(missEvents, hitEvents);
        Assert.Equal("[DONE]", missEvents[^1]);
        Assert.True(missEvents.Count > 2);
        Assert.DoesNotContain(missEvents, IsUsageChunk);

        Assert.Equal(missEvents.Count + 1, usageEvents.Count);
        Assert.True(IsUsageChunk(usageEvents[^2]), usageEvents[^2]);
        Assert.Equal(missEvents, usageEvents.Where(e => !IsUsageChunk(e)));
        var usage = JsonDocument.Parse(usageEvents[^2]).RootElement.GetProperty("usage");
        Assert.Equal(hitWithUsage.Header("x-parley-prompt-tokens"), usage.GetProperty("prompt_tokens").GetInt32().ToString());
    }

    private static bool IsUsageChunk(string data)
        => data != "[DONE]" && JsonDocument.Parse(data).RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object;

    [Fact]
    public async Task Property_order_and_whitespace_still_hit_but_a_different_message_model_or_max_tokens_misses()
    {
        var content = Unique("normalised");
        var before = Upstream;
        await SendOkAsync(Client, Body(content), "miss");

        var reordered = $$"""
            {
              "temperature" : 0,
              "messages" : [ { "role" : "user", "content" : "{{content}}" } ],
              "model" : "{{SiloHarness.Model}}"
            }
            """;
        await SendOkAsync(Client, reordered, "hit");
        Assert.Equal(before + 1, Upstream);

        foreach (var different in new[]
                 {
                     Body(content + "!"),
                     Body(content, model: SiloHarness.OtherModel),
                     Body(content, ",\"temperature\":0,\"max_tokens\":5"),
                 })
        {
            await SendOkAsync(Client, different, "miss");
        }
        Assert.Equal(before + 4, Upstream);
    }

    [Theory]
    [InlineData("")]
    [InlineData(",\"temperature\":0.7")]
    [InlineData(",\"temperature\":null")]
    public async Task A_sampled_request_is_never_cached(string temperature)
    {
        var body = Body(Unique("sampled"), temperature);
        var before = Upstream;

        await SendOkAsync(Client, body, "miss");
        await SendOkAsync(Client, body, "miss");
        Assert.Equal(before + 2, Upstream);
    }

    [Fact]
    public async Task No_store_is_a_miss_that_is_not_stored()
    {
        var body = Body(Unique("no-store"));
        var before = Upstream;

        await SendOkAsync(Client, body, "miss", WithHeader("Cache-Control", "no-store"));
        await SendOkAsync(Client, body, "miss");
        Assert.Equal(before + 2, Upstream);

        // A stored entry is not served to a no-store request either.
        await SendOkAsync(Client, body, "miss", WithHeader("Cache-Control", "max-age=0, No-Store"));
        await SendOkAsync(Client, body, "hit");
        Assert.Equal(before + 3, Upstream);
    }

    [Fact]
    public async Task No_cache_skips_the_lookup_but_stores_the_fresh_answer()
    {
        var body = Body(Unique("no-cache"));
        var before = Upstream;

        await SendOkAsync(Client, body, "miss", WithHeader("Cache-Control", "no-cache"));
        var fresh = await SendOkAsync(Client, body, "miss", WithHeader("Cache-Control", "no-cache"));
        Assert.Equal(before + 2, Upstream);

        // The second fresh answer replaced the first (the simulator numbers its completion ids).
        Assert.Equal(fresh, await SendOkAsync(Client, body, "hit"));
        Assert.Equal(before + 2, Upstream);
    }

    [Fact]
    public async Task Another_users_identical_request_misses_under_the_default_user_scope()
    {
        var body = Body(Unique("scoped"));
        var (_, otherKey) = await Harness.CreateUserAsync("other-user");
        var other = Harness.CreateClient(otherKey);
        var before = Upstream;

        await SendOkAsync(Client, body, "miss");
        await SendOkAsync(other, body, "miss");
        await SendOkAsync(other, body, "hit");
        Assert.Equal(before + 2, Upstream);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_conversation_turn_answered_from_the_cache_is_stored_in_the_conversation(bool stream)
    {
        var first = await CreateConversationAsync();
        var second = await CreateConversationAsync();
        var content = Unique("turn");
        var extra = stream ? ",\"temperature\":0,\"stream\":true" : ",\"temperature\":0";
        var before = Upstream;

        using var miss = await Client.PostChatAsync(Body(content, $",\"conversation\":\"{first}\"{extra}"));
        var missBytes = await AssertOkAsync(miss, "miss");
        // Same stored context (none) and the same new message: the upstream would see the same request.
        using var hit = await Client.PostChatAsync(Body(content, $",\"conversation\":\"{second}\"{extra}"));
        var hitBytes = await AssertOkAsync(hit, "hit");

        Assert.Equal(before + 1, Upstream);
        Assert.Equal(missBytes, hitBytes);
        Assert.Equal(second, hit.Header("x-parley-conversation"));
        var reply = stream
            ? string.Concat(Http.DataEvents(Text(hitBytes)).SkipLast(1)
                .Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices"))
                .Where(c => c.GetArrayLength() > 0 && c[0].GetProperty("delta").TryGetProperty("content", out _))
                .Select(c => c[0].GetProperty("delta").GetProperty("content").GetString()))
            : JsonDocument.Parse(hitBytes).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        // The simulator echoes the message, cut to its 20-token reply length.
        Assert.StartsWith("Echo: turn ", reply, StringComparison.Ordinal);

        foreach (var id in new[] { first, second })
        {
            var items = await ReadItemsAsync(id);
            Assert.Equal(2, items.Count);
            Assert.Equal("user", items[0].GetProperty("role").GetString());
            Assert.Equal(content, items[0].GetProperty("content")[0].GetProperty("text").GetString());
            Assert.Equal("assistant", items[1].GetProperty("role").GetString());
            Assert.Equal(reply, items[1].GetProperty("content")[0].GetProperty("text").GetString());
        }
    }

    [Theory]
    [InlineData("500", false, HttpStatusCode.BadGateway)]
    [InlineData("503", true, HttpStatusCode.BadGateway)]
    [InlineData("429", false, HttpStatusCode.TooManyRequests)]
    [InlineData("cut-before-first-byte", false, HttpStatusCode.BadGateway)]
    public async Task An_upstream_error_is_not_cached_and_still_carries_the_cache_header(string fault, bool stream, HttpStatusCode status)
    {
        var body = Body(Unique("fault"), stream ? ",\"temperature\":0,\"stream\":true" : ",\"temperature\":0");
        var before = Upstream;

        // A 429 with a Retry-After would block the harness's only upstream key (the pool learns from it) for that long.
        using (var failed = await Client.PostChatAsync(body, request =>
               {
                   request.Headers.Add("x-sim-fault", fault);
                   request.Headers.Add("x-sim-retry-after", "0");
               }))
        {
            var text = await failed.Content.ReadAsStringAsync();
            Assert.True(status == failed.StatusCode, $"Expected {(int)status}, got {(int)failed.StatusCode}: {text}");
            Assert.Equal("miss", failed.Header(CacheHeader));
        }
        // A 429 whose Retry-After ends within the pool's pacing wait is waited out and tried once more (the fault
        // header travels with the retry, so it fails again).
        var failedCalls = fault == "429" ? 2 : 1;
        await SendOkAsync(Client, body, "miss");
        Assert.Equal(before + failedCalls + 1, Upstream);
        await SendOkAsync(Client, body, "hit");
        Assert.Equal(before + failedCalls + 1, Upstream);
    }

    [Fact]
    public async Task A_stream_cut_midway_is_not_cached()
    {
        var body = Body(Unique("cut"), ",\"temperature\":0,\"stream\":true");
        var before = Upstream;

        using (var cut = await Client.PostChatAsync(body, WithHeader("x-sim-fault", "cut-mid-stream")))
        {
            var events = Http.DataEvents(Text(await AssertOkAsync(cut, "miss")));
            Assert.DoesNotContain("[DONE]", events);
        }
        await SendOkAsync(Client, body, "miss");
        Assert.Equal(before + 2, Upstream);
    }

    [Fact]
    public async Task An_upstream_4xx_carries_the_cache_header_and_is_not_cached()
    {
        var body = Body(Unique("ghost"), model: UnknownUpstreamModel);
        var before = Upstream;

        for (var i = 0; i < 2; i++)
        {
            using var response = await Client.PostChatAsync(body);
            await response.AssertErrorAsync(HttpStatusCode.NotFound, "model_not_found");
            Assert.Equal("miss", response.Header(CacheHeader));
        }
        Assert.Equal(before + 2, Upstream);
    }

    public static TheoryData<string, HttpStatusCode, string> Refusals => new()
    {
        { "{", HttpStatusCode.BadRequest, "invalid_json" },
        { """{"messages":[{"role":"user","content":"x"}]}""", HttpStatusCode.BadRequest, "missing_required_parameter" },
        { Body("x", model: "no-such-model"), HttpStatusCode.NotFound, "model_not_found" },
        { Body("x", ",\"temperature\":0,\"conversation\":\"conv_00000000000000000000000000000000\""), HttpStatusCode.NotFound, "conversation_not_found" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refusal_before_the_upstream_call_also_says_miss(string body, HttpStatusCode status, string code)
    {
        var before = Upstream;

        using var response = await Client.PostChatAsync(body);

        await response.AssertErrorAsync(status, code);
        Assert.Equal("miss", response.Header(CacheHeader));
        Assert.Equal(before, Upstream);
    }

    private async Task<string> CreateConversationAsync()
    {
        using var response = await Client.PostAsync("v1/conversations", Http.Json("{}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("id").GetString()!;
    }

    private async Task<List<JsonElement>> ReadItemsAsync(string conversationId)
    {
        using var response = await Client.GetAsync($"v1/conversations/{conversationId}/items?order=asc");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.ReadJsonAsync()).GetProperty("data").EnumerateArray().ToList();
    }
}
