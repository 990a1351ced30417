using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Chat;

/// <summary>The happy paths of /v1/chat/completions against a real silo and simulator, checking both what the client
/// gets and exactly what the upstream received.</summary>
public sealed class ChatCompletionTests(SiloFixture fixture) : IClassFixture<SiloFixture>
{
    private SiloHarness Harness => fixture.Harness;

    [Fact]
    public async Task Plain_completion_is_relayed_and_upstream_gets_the_body_byte_for_byte_except_the_model()
    {
        // Odd spacing, an escaped and a raw non-ASCII character, and an unknown field: all must reach the upstream as sent.
        const string body = """{"model":"parley-sim", "messages":[{"role":"user","content":"Caf\u00e9 or thé?"}],"x_custom": {"a": 1, "b":[true,null]},"temperature":0.5}""";
        using var response = await fixture.Client.PostChatAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.ContentType()?.MediaType);
        Assert.Equal(SiloHarness.Model, response.Header("x-parley-model"));
        Assert.Equal(SiloHarness.ProviderName, response.Header("x-parley-provider"));
        Assert.StartsWith("req_", response.Header("x-request-id"));
        var json = await response.ReadJsonAsync();
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        Assert.Equal("assistant", json.GetProperty("choices")[0].GetProperty("message").GetProperty("role").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()));
        Assert.True(json.GetProperty("usage").GetProperty("total_tokens").GetInt32() > 0);

        var upstream = Harness.SimState.LastRequest!;
        Assert.Equal("""{"model":"sim-small","messages":[{"role":"user","content":"Caf\u00e9 or thé?"}],"x_custom":{"a": 1, "b":[true,null]},"temperature":0.5}""", upstream.Body);
    }

    [Fact]
    public async Task Client_request_id_is_echoed()
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(), r => r.Headers.Add("x-request-id", "client-id-42"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("client-id-42", response.Header("x-request-id"));
    }

    [Fact]
    public async Task Streamed_completion_arrives_as_chunks_ending_with_done_and_without_the_usage_chunk_the_client_did_not_ask_for()
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(stream: true));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.ContentType()?.MediaType);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        Assert.Equal("no", response.Header("X-Accel-Buffering"));
        var events = Http.DataEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.True(chunks.Count >= 3, $"expected several chunks, got {chunks.Count}");
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.NotEqual(0, c.GetProperty("choices").GetArrayLength()));

        // Parley always asks the upstream for usage (for quotas), and dropped the usage chunk on the way back.
        var upstream = Harness.SimState.LastRequest!;
        Assert.Equal("""{"model":"sim-small","messages":[{"role":"user","content":"Hello"}],"stream":true,"stream_options":{"include_usage":true}}""", upstream.Body);
    }

    [Fact]
    public async Task Streamed_completion_passes_the_usage_chunk_when_the_client_asked_for_it()
    {
        const string body = """{"model":"parley-sim","messages":[{"role":"user","content":"Hello"}],"stream":true,"stream_options":{"include_usage":true}}""";
        using var response = await fixture.Client.PostChatAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Http.DataEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var usageChunk = JsonDocument.Parse(events[^2]).RootElement;
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.True(usageChunk.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() > 0);
        Assert.Single(events, e => e.Contains("\"choices\":[]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Other_stream_options_are_kept_and_include_usage_is_forced_on()
    {
        const string body = """{"model":"sim-large","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":false,"x_opt":{"k":[1,2]}}}""";
        using var response = await fixture.Client.PostChatAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = Http.DataEvents(await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain(events, e => e.Contains("\"choices\":[]", StringComparison.Ordinal));
        // sim-large has no UpstreamModel: its public name is sent.
        Assert.Equal("""{"model":"sim-large","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"x_opt":{"k":[1,2]},"include_usage":true}}""",
            Harness.SimState.LastRequest!.Body);
    }

    [Fact]
    public async Task Non_streaming_request_keeps_its_stream_options_untouched()
    {
        const string body = """{"stream":false,"model":"parley-sim","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}]}""";
        using var response = await fixture.Client.PostChatAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"stream":false,"model":"sim-small","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}]}""",
            Harness.SimState.LastRequest!.Body);
    }

    [Fact]
    public async Task Models_lists_the_configured_models_in_OpenAI_shape()
    {
        using var response = await fixture.Client.GetAsync("v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.ReadJsonAsync();
        Assert.Equal("list", json.GetProperty("object").GetString());
        var models = json.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([SiloHarness.Model, SiloHarness.OtherModel], models.Select(m => m.GetProperty("id").GetString()));
        Assert.All(models, m =>
        {
            Assert.Equal("model", m.GetProperty("object").GetString());
            Assert.Equal("parley", m.GetProperty("owned_by").GetString());
            Assert.True(m.GetProperty("created").GetInt64() > 1_600_000_000);
        });
    }

    [Fact]
    public async Task A_model_can_be_retrieved_by_id()
    {
        using var response = await fixture.Client.GetAsync($"v1/models/{SiloHarness.Model}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.ReadJsonAsync();
        Assert.Equal(SiloHarness.Model, json.GetProperty("id").GetString());
        Assert.Equal("model", json.GetProperty("object").GetString());
    }
}
