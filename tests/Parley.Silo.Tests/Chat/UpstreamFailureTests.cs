using System.Net;
using System.Text.Json;
using Parley.Silo.Tests.Infrastructure;
using Parley.Testing;
using Xunit;

namespace Parley.Silo.Tests.Chat;

/// <summary>Upstream faults forced through the simulator's x-sim-fault header (the provider forwards only the
/// simulator's test headers) and providers that are misconfigured or unreachable.</summary>
public sealed class UpstreamFailureTests(UpstreamFailureTests.Fixture fixture) : IClassFixture<UpstreamFailureTests.Fixture>
{
    public sealed class Fixture : SiloFixture
    {
        protected override void Configure(IDictionary<string, string?> settings)
        {
            // Short enough to keep the timeout test fast, long enough for a loaded machine to answer a normal request.
            settings[$"Parley:Providers:{SiloHarness.ProviderName}:Resilience:FirstByteTimeout"] = "00:00:01";
            settings[$"Parley:Providers:{SiloHarness.ProviderName}:Resilience:StallTimeout"] = "00:00:01";
            settings["Parley:Models:ghost:Provider"] = SiloHarness.ProviderName;
            settings["Parley:Models:ghost:UpstreamModel"] = "no-such-upstream-model";
            settings["Parley:Providers:dead:BaseUrl"] = $"http://127.0.0.1:{FreePort.Next()}/v1";
            settings["Parley:Providers:dead:ApiKey"] = "sk-dead";
            settings["Parley:Models:dead-model:Provider"] = "dead";
            settings["Parley:Providers:dead:Resilience:Retry:MaxRetries"] = "0";
            settings["Parley:Providers:dead:Resilience:CircuitBreaker:Enabled"] = "false";
            // The 429 test gets a provider of its own: its Retry-After blocks that provider's key (the pool learns from
            // it), and the other tests must not wait for it.
            foreach (var (key, value) in settings.Where(s => s.Key.StartsWith($"Parley:Providers:{SiloHarness.ProviderName}:", StringComparison.Ordinal)).ToList())
            {
                settings[key.Replace($":{SiloHarness.ProviderName}:", $":{RateLimitedProvider}:", StringComparison.Ordinal)] = value;
            }
            settings[$"Parley:Models:{RateLimitedModel}:Provider"] = RateLimitedProvider;
            settings[$"Parley:Models:{RateLimitedModel}:UpstreamModel"] = SiloHarness.UpstreamModel;
        }
    }

    private const string RateLimitedProvider = "sim-429";
    private const string RateLimitedModel = "rate-limited";

    private static Action<HttpRequestMessage> Fault(string fault, string? retryAfter = null) => request =>
    {
        request.Headers.Add("x-sim-fault", fault);
        if (retryAfter is not null)
        {
            request.Headers.Add("x-sim-retry-after", retryAfter);
        }
    };

    [Theory]
    [InlineData("500", false)]
    [InlineData("503", false)]
    [InlineData("502", true)]
    public async Task Upstream_5xx_is_502_upstream_error_with_the_upstreams_message(string fault, bool stream)
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(stream), Fault(fault));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadGateway, "upstream_error", type: "upstream_error");
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains($"HTTP {fault}", message, StringComparison.Ordinal);
        Assert.Contains("'sim'", message, StringComparison.Ordinal);
        Assert.Equal(SiloHarness.Model, response.Header("x-parley-model"));
    }

    [Fact]
    public async Task Upstream_429_is_429_with_retry_after_and_rate_limit_headers()
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(model: RateLimitedModel), Fault("429", retryAfter: "7"));

        var error = await response.AssertErrorAsync(HttpStatusCode.TooManyRequests, "rate_limit_exceeded", type: "rate_limit_error");
        Assert.Contains("Rate limit reached", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("7", response.Header("Retry-After"));
        Assert.Equal("0", response.Header("x-ratelimit-remaining-requests"));
        Assert.Equal("7s", response.Header("x-ratelimit-reset-requests"));
    }

    [Fact]
    public async Task Upstream_4xx_keeps_its_status_and_message()
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(model: "ghost"));

        var error = await response.AssertErrorAsync(HttpStatusCode.NotFound, "model_not_found");
        Assert.Contains("no-such-upstream-model", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Upstream_that_never_answers_is_504_upstream_timeout(bool stream)
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(stream), Fault("timeout"));

        await response.AssertErrorAsync(HttpStatusCode.GatewayTimeout, "upstream_timeout", type: "timeout_error");
    }

    [Fact]
    public async Task Upstream_that_cuts_the_connection_before_answering_is_502()
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(), Fault("cut-before-first-byte"));

        await response.AssertErrorAsync(HttpStatusCode.BadGateway, "upstream_error", type: "upstream_error");
    }

    [Fact]
    public async Task Unreachable_provider_is_502()
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(model: "dead-model"));

        var error = await response.AssertErrorAsync(HttpStatusCode.BadGateway, "upstream_error", type: "upstream_error");
        Assert.Contains("'dead'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_cut_midway_ends_with_an_error_event_and_without_done_never_an_error_page()
    {
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(stream: true),
            r => { Fault("cut-mid-stream")(r); r.Headers.Add("x-sim-cut-after-chunks", "3"); });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.ContentType()?.MediaType);
        var events = Http.DataEvents(await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain("[DONE]", events);
        // The chunks relayed before the cut, then OpenAI's mid-stream error event.
        Assert.True(events.Count >= 2, $"expected chunks before the error, got {events.Count} events");
        Assert.All(events[..^1], e => Assert.Equal("chat.completion.chunk", JsonDocument.Parse(e).RootElement.GetProperty("object").GetString()));
        var error = JsonDocument.Parse(events[^1]).RootElement.GetProperty("error");
        Assert.Equal("upstream_stream_cut", error.GetProperty("code").GetString());
        Assert.Equal("upstream_error", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_stream_cut_midway_is_visible_to_the_OpenAI_SDK_as_a_stream_that_never_finishes()
    {
        // The .NET SDK ignores error events (the Python SDK raises on them), but a cut stream still lacks the finish
        // reason that every complete one ends with.
        var complete = await StreamAsync(fault: null);
        var cut = await StreamAsync(fault: "cut-mid-stream");

        Assert.Contains(complete, u => u.FinishReason == OpenAI.Chat.ChatFinishReason.Stop);
        Assert.NotEmpty(cut);
        Assert.DoesNotContain(cut, u => u.FinishReason is not null);
    }

    private async Task<List<OpenAI.Chat.StreamingChatCompletionUpdate>> StreamAsync(string? fault)
    {
        var client = OpenAISdk.ChatClient(new Uri(fixture.Harness.SiloUrl, "v1"), SiloHarness.Model, fixture.Key, fault is null ? [] : [("x-sim-fault", fault)]);
        var updates = new List<OpenAI.Chat.StreamingChatCompletionUpdate>();
        await foreach (var update in client.CompleteChatStreamingAsync([new OpenAI.Chat.UserChatMessage("Hi")]))
        {
            updates.Add(update);
        }
        return updates;
    }

    [Fact]
    public async Task A_non_streamed_answer_cut_midway_never_reaches_the_client_as_a_complete_200()
    {
        var failure = await Record.ExceptionAsync(async () =>
        {
            using var response = await fixture.Client.PostChatAsync(Bodies.Simple(), Fault("cut-mid-stream"));
            // Either the silo saw the cut before answering (502), or it had started relaying and aborts the connection.
            await response.AssertErrorAsync(HttpStatusCode.BadGateway, "upstream_error", type: "upstream_error");
        });

        Assert.True(failure is null or HttpRequestException or IOException, failure?.ToString());
    }

    [Fact]
    public async Task The_silo_keeps_serving_after_upstream_faults()
    {
        using (await fixture.Client.PostChatAsync(Bodies.Simple(), Fault("500")))
        {
        }
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("chat.completion", (await response.ReadJsonAsync()).GetProperty("object").GetString());
    }

    [Fact]
    public async Task Client_headers_other_than_the_configured_ones_never_reach_the_upstream()
    {
        // A forwarded header works (x-sim-response-tokens is configured), but the client's Authorization never does:
        // the simulator only ever saw the provider's key.
        using var response = await fixture.Client.PostChatAsync(Bodies.Simple(), r => r.Headers.Add("x-sim-response-tokens", "3"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.ReadJsonAsync();
        Assert.Equal(3, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.True(fixture.Harness.SimState.RequestsFor(SiloHarness.UpstreamKey) > 0);
        Assert.Equal(0, fixture.Harness.SimState.RequestsFor(fixture.Key));
    }
}
