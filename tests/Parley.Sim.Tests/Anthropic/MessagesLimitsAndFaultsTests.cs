using System.Net;
using Parley.Sim.Faults;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Testing;

namespace Parley.Sim.Tests.Anthropic;

public sealed class MessagesLimitsAndFaultsTests
{
    [Fact]
    public async Task Request_limit_answers_anthropics_headers_and_429_until_the_window_ends()
    {
        var clock = new ManualTimeProvider();
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.RequestsPerWindow = 2;
            o.RateLimitWindow = TimeSpan.FromMinutes(1);
        }, clock);
        using var client = AnthropicSimClient.Create(sim);

        using var first = await client.PostMessagesAsync(AnthropicSimClient.Body());
        clock.Advance(TimeSpan.FromMilliseconds(10_250));
        using var second = await client.PostMessagesAsync(AnthropicSimClient.Body());
        using var limited = await client.PostMessagesAsync(AnthropicSimClient.Body());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("2", first.Header("anthropic-ratelimit-requests-limit"));
        Assert.Equal("1", first.Header("anthropic-ratelimit-requests-remaining"));
        // The window opened at 00:00:00 and ends a minute later.
        Assert.Equal("2025-01-01T00:01:00Z", first.Header("anthropic-ratelimit-requests-reset"));
        Assert.Null(first.Header("anthropic-ratelimit-tokens-limit")); // no token limit configured
        Assert.Null(first.Header("x-ratelimit-limit-requests")); // OpenAI's headers are for the OpenAI routes
        Assert.Equal("0", second.Header("anthropic-ratelimit-requests-remaining"));
        Assert.Equal("2025-01-01T00:01:00Z", second.Header("anthropic-ratelimit-requests-reset"));
        await AnthropicSimClient.AssertErrorAsync(limited, 429, "rate_limit_error",
            "This request would exceed the rate limit of 2 requests per 1m0s for this key. Please try again in 49.75s.");
        Assert.Equal("50", limited.Header("retry-after")); // 49.75 s rounded up
        Assert.Equal("0", limited.Header("anthropic-ratelimit-requests-remaining"));
        Assert.Equal(1, sim.State.RateLimited);

        clock.Advance(TimeSpan.FromMilliseconds(49_750));
        using var again = await client.PostMessagesAsync(AnthropicSimClient.Body());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("2025-01-01T00:02:00Z", again.Header("anthropic-ratelimit-requests-reset"));
    }

    [Fact]
    public async Task Token_limit_counts_input_and_output_tokens()
    {
        var clock = new ManualTimeProvider(ManualTimeProvider.DefaultStart.AddMilliseconds(300));
        // Each request is 1 input + 20 output = 21 tokens; 50 admits two.
        await using var sim = await SimulatorHost.StartAsync(o => o.TokensPerWindow = 50, clock);
        using var client = AnthropicSimClient.Create(sim);

        using var first = await client.PostMessagesAsync(AnthropicSimClient.Body());
        using var second = await client.PostMessagesAsync(AnthropicSimClient.Body());
        using var third = await client.PostMessagesAsync(AnthropicSimClient.Body());

        Assert.Equal("50", first.Header("anthropic-ratelimit-tokens-limit"));
        Assert.Equal("29", first.Header("anthropic-ratelimit-tokens-remaining"));
        // Opened at 00:00:00.300: the reset is rounded up to the next whole second after 00:01:00.300.
        Assert.Equal("2025-01-01T00:01:01Z", first.Header("anthropic-ratelimit-tokens-reset"));
        Assert.Equal("8", second.Header("anthropic-ratelimit-tokens-remaining"));
        await AnthropicSimClient.AssertErrorAsync(third, 429, "rate_limit_error",
            "This request would exceed the rate limit of 50 tokens per 1m0s for this key (42 used, 21 requested). Please try again in 1m0s.");
        Assert.Equal("60", third.Header("retry-after"));
    }

    [Theory]
    [InlineData("500", 500, "api_error", "Internal server error", SimFault.ServerError500)]
    [InlineData("502", 502, "api_error", "Bad gateway", SimFault.BadGateway502)]
    [InlineData("503", 529, "overloaded_error", "Overloaded", SimFault.Overloaded503)]
    public async Task Forced_server_errors_are_anthropics(string fault, int status, string type, string message, SimFault kind)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body(), ("x-sim-fault", fault), ("x-sim-retry-after", "4"));

        await AnthropicSimClient.AssertErrorAsync(response, status, type, message);
        Assert.Equal("4", response.Header("retry-after"));
        Assert.Equal(1, sim.State.FaultsOf(kind));
        Assert.Equal(0, sim.State.Completed);
    }

    [Fact]
    public async Task Forced_429_is_a_rate_limit_error_with_retry_after()
    {
        var clock = new ManualTimeProvider();
        await using var sim = await SimulatorHost.StartAsync(timeProvider: clock);
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body(), ("x-sim-fault", "429"), ("x-sim-retry-after", "90"));

        await AnthropicSimClient.AssertErrorAsync(response, 429, "rate_limit_error",
            "Rate limit reached for sim-small (forced by the x-sim-fault header). Please try again in 1m30s.");
        Assert.Equal("90", response.Header("retry-after"));
        Assert.Equal("0", response.Header("anthropic-ratelimit-requests-remaining"));
        Assert.Equal("2025-01-01T00:01:30Z", response.Header("anthropic-ratelimit-requests-reset"));
        Assert.Equal(1, sim.State.FaultsOf(SimFault.RateLimit429));
        Assert.Equal(1, sim.State.RateLimited);
    }

    [Fact]
    public async Task Random_faults_are_drawn_with_the_same_dice_as_chat_completions()
    {
        static async Task<List<int>> RunAsync(bool anthropic)
        {
            await using var sim = await SimulatorHost.StartAsync(o =>
            {
                o.FaultSeed = 11;
                o.ServerErrorRate = 0.3;
                o.RateLimitRate = 0.3;
            });
            using var client = anthropic ? AnthropicSimClient.Create(sim) : SimClient.Create(sim);
            var statuses = new List<int>();
            for (var i = 0; i < 16; i++)
            {
                using var response = anthropic
                    ? await client.PostMessagesAsync(AnthropicSimClient.Body())
                    : await client.PostChatAsync(SimClient.Body());
                statuses.Add((int)response.StatusCode);
            }
            return statuses;
        }

        var messages = await RunAsync(anthropic: true);
        var chat = await RunAsync(anthropic: false);

        // The same draws; only 503 reads 529 in Anthropic's words.
        Assert.Equal(chat.Select(s => s == 503 ? 529 : s), messages);
        Assert.Contains(200, messages);
        Assert.Contains(429, messages);
        Assert.Contains(messages, s => s is 500 or 502 or 529);
    }

    [Fact]
    public async Task Timeout_and_cut_before_first_byte_give_no_answer()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => client.SendAsync(AnthropicSimClient.MessagesRequest(AnthropicSimClient.Body(), ("x-sim-fault", "timeout")), giveUp.Token));
        await Assert.ThrowsAsync<HttpRequestException>(() => client.PostMessagesAsync(AnthropicSimClient.Body(), ("x-sim-fault", "cut-before-first-byte")));

        Assert.Equal(1, sim.State.FaultsOf(SimFault.Timeout));
        Assert.Equal(1, sim.State.FaultsOf(SimFault.CutBeforeFirstByte));
    }

    [Fact]
    public async Task Cut_mid_stream_of_a_message_delivers_half_the_body()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.SendAsync(AnthropicSimClient.MessagesRequest(AnthropicSimClient.Body(), ("x-sim-fault", "cut-mid-stream")), HttpCompletionOption.ResponseHeadersRead);
        var promised = response.Content.Headers.ContentLength;
        using var body = await response.Content.ReadAsStreamAsync();
        var received = 0;
        var buffer = new byte[256];
        var failure = await Record.ExceptionAsync(async () =>
        {
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                received += read;
            }
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(promised);
        Assert.IsAssignableFrom<IOException>(failure);
        Assert.Equal(promised / 2, received);
    }

    [Theory]
    [InlineData(1024, "input length and `max_tokens` exceed context limit: 5 + 1024 > 1000, decrease input length or `max_tokens` and try again", 1000)]
    [InlineData(995, null, 1000)] // 5 + 995 == 1000 fits
    [InlineData(10, "prompt is too long: 5 tokens > 4 maximum", 4)]
    public async Task Context_window_refusals_are_anthropics(int maxTokens, string? message, int window)
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ModelContextWindows = new() { ["sim-small"] = window, ["sim-large"] = 0 });
        using var client = AnthropicSimClient.Create(sim);

        // "one two three four five": 5 tokens.
        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body("one two three four five", maxTokens: maxTokens));
        using var unlimited = await client.PostMessagesAsync(AnthropicSimClient.Body("one two three four five", model: "sim-large", maxTokens: maxTokens));

        if (message is null)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(5, (await response.JsonAsync()).GetProperty("usage").GetProperty("input_tokens").GetInt32());
        }
        else
        {
            await AnthropicSimClient.AssertErrorAsync(response, 400, "invalid_request_error", message);
            Assert.Equal(1, sim.State.BadRequests);
        }
        Assert.Equal(HttpStatusCode.OK, unlimited.StatusCode);
    }

    [Fact]
    public async Task Stats_and_recorded_requests_count_messages_like_chat_completions()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);
        using var bearer = SimClient.Create(sim);

        using var ok = await client.PostMessagesAsync(AnthropicSimClient.Body());
        using var fault = await client.PostMessagesAsync(AnthropicSimClient.Body(), ("x-sim-fault", "502"));
        using var bad = await client.PostMessagesAsync("{");
        using var chat = await bearer.PostChatAsync(SimClient.Body());
        var stats = await (await bearer.GetAsync("sim/stats")).JsonAsync();
        var requests = await (await bearer.GetAsync("sim/requests")).JsonAsync();

        Assert.Equal(4, stats.GetProperty("requests_received").GetInt64());
        Assert.Equal(2, stats.GetProperty("completed").GetInt64());
        Assert.Equal(1, stats.GetProperty("faults_by_kind").GetProperty("502").GetInt64());
        Assert.Equal(1, stats.GetProperty("bad_requests").GetInt64());
        Assert.Equal(4, stats.GetProperty("requests_by_key").GetProperty("sk-...0001").GetInt64());
        Assert.Equal(0, stats.GetProperty("in_flight").GetInt64());
        Assert.Equal(["/v1/messages", "/v1/messages", "/v1/messages", "/v1/chat/completions"],
            requests.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("path").GetString()));
    }
}
