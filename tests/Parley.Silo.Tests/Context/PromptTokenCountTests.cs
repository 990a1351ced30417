using System.Net;
using Parley.Silo.Tests.Infrastructure;
using Xunit;

namespace Parley.Silo.Tests.Context;

/// <summary>The prompt tokens the silo counts (x-parley-prompt-tokens) equal what the upstream reports as
/// usage.prompt_tokens: the simulator counts with the same published rules, so the two disagree only if one is wrong.</summary>
public sealed class PromptTokenCountTests : IAsyncLifetime
{
    private const string Cl100kModel = "gpt4-alias";
    private const string EstimatedModel = "other-vendor";
    private const string SmallWindowModel = "small-window";
    private SiloHarness _harness = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _harness = await SiloHarness.StartAsync(cfg =>
        {
            cfg[$"Parley:Models:{SiloHarness.Model}:Encoding"] = "o200k_base";
            cfg[$"Parley:Models:{Cl100kModel}:Provider"] = SiloHarness.ProviderName;
            cfg[$"Parley:Models:{Cl100kModel}:UpstreamModel"] = "gpt-4";
            cfg[$"Parley:Models:{EstimatedModel}:Provider"] = SiloHarness.ProviderName;
            cfg[$"Parley:Models:{EstimatedModel}:UpstreamModel"] = "vendor-chat-1";
            cfg[$"Parley:Models:{SmallWindowModel}:Provider"] = SiloHarness.ProviderName;
            cfg[$"Parley:Models:{SmallWindowModel}:UpstreamModel"] = "sim-small";
            cfg[$"Parley:Models:{SmallWindowModel}:Encoding"] = "o200k_base";
            cfg[$"Parley:Models:{SmallWindowModel}:ContextWindow"] = "40";
        }, sim => sim.AcceptAnyModel = true);
        var (_, key) = await _harness.CreateUserAsync("counter");
        _client = _harness.CreateClient(key);
    }

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    public static TheoryData<string, string> Prompts => new()
    {
        { SiloHarness.Model, """[{"role":"user","content":"Hello"}]""" },
        { SiloHarness.Model, """[{"role":"system","content":"You are terse."},{"role":"user","name":"alice","content":"What is 2+2?"},{"role":"assistant","content":"4."},{"role":"user","content":"And 3+3?"}]""" },
        { SiloHarness.Model, """[{"role":"user","content":[{"type":"text","text":"Part one, "},{"type":"text","text":"part two."}]}]""" },
        { SiloHarness.Model, """[{"role":"user","content":"你好，世界！这是一个测试。 Ünïcödé and emoji 😀 \n\t code: for (var i = 0; i < 10; i++) {}"}]""" },
        { Cl100kModel, """[{"role":"system","content":"You are terse."},{"role":"user","name":"bob","content":"Count these tokens, please: 12345 67890."}]""" },
        { Cl100kModel, """[{"role":"user","content":"你好，世界！ Ünïcödé 😀"}]""" },
    };

    [Theory]
    [MemberData(nameof(Prompts))]
    public async Task The_counted_prompt_tokens_equal_the_upstream_usage(string model, string messages)
    {
        using var response = await _client.PostChatAsync($$"""{"model":"{{model}}","messages":{{messages}}}""");
        var body = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var upstream = body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        Assert.Equal(upstream.ToString(), Header(response, "x-parley-prompt-tokens"));
        Assert.False(response.Headers.Contains("x-parley-prompt-tokens-estimated"));
    }

    [Fact]
    public async Task A_streamed_request_reports_the_same_count_as_its_usage_chunk()
    {
        using var response = await _client.PostChatAsync(
            $$$"""{"model":"{{{SiloHarness.Model}}}","messages":[{"role":"user","content":"Stream me a reply."}],"stream":true,"stream_options":{"include_usage":true}}""");
        var events = Http.DataEvents(await response.Content.ReadAsStringAsync());
        var usage = System.Text.Json.JsonDocument.Parse(events[^2]).RootElement.GetProperty("usage");

        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32().ToString(), Header(response, "x-parley-prompt-tokens"));
    }

    [Fact]
    public async Task A_model_outside_the_encoding_table_is_counted_as_a_marked_estimate()
    {
        using var response = await _client.PostChatAsync(Bodies.Simple(model: EstimatedModel));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("true", Header(response, "x-parley-prompt-tokens-estimated"));
        Assert.Equal("8", Header(response, "x-parley-prompt-tokens")); // 3 framing + "user" + "Hello" + 3 reply priming
    }

    [Fact]
    public async Task A_single_request_over_a_known_window_is_refused_before_the_upstream_call()
    {
        var before = _harness.SimState.RequestsReceived;
        var words = string.Join(' ', Enumerable.Repeat("word", 40));

        using var response = await _client.PostChatAsync($$"""{"model":"{{SmallWindowModel}}","messages":[{"role":"user","content":"{{words}}"}]}""");
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "context_length_exceeded", "messages");
        Assert.Equal("This model's maximum context length is 40 tokens. However, your messages resulted in 47 tokens. Please reduce the length of the messages.",
            error.GetProperty("message").GetString());

        using var withReply = await _client.PostChatAsync($$"""{"model":"{{SmallWindowModel}}","messages":[{"role":"user","content":"Hi"}],"max_tokens":35}""");
        var replyError = await withReply.AssertErrorAsync(HttpStatusCode.BadRequest, "context_length_exceeded", "messages");
        Assert.Equal("This model's maximum context length is 40 tokens. However, you requested 43 tokens (8 in the messages, 35 in the completion). Please reduce the length of the messages or completion.",
            replyError.GetProperty("message").GetString());
        Assert.Equal(before, _harness.SimState.RequestsReceived);

        using var fits = await _client.PostChatAsync($$"""{"model":"{{SmallWindowModel}}","messages":[{"role":"user","content":"Hi"}],"max_tokens":30}""");
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
    }

    [Theory]
    [InlineData("max_tokens", "0")]
    [InlineData("max_completion_tokens", "-5")]
    [InlineData("n", "0")]
    public async Task Counts_below_one_are_refused(string field, string value)
    {
        using var response = await _client.PostChatAsync($$"""{"model":"{{SiloHarness.Model}}","messages":[{"role":"user","content":"Hi"}],"{{field}}":{{value}}}""");
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_value", field);
    }

    internal static string? Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
