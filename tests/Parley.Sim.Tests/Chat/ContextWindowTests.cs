using System.Text.Json;
using Microsoft.Extensions.Options;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Sim.Tests.Chat;

public sealed class ContextWindowTests
{
    // "hello world" as one user message is 9 prompt tokens under o200k_base (gpt-4o, and sim-small by default).
    private const string Text = "hello world";
    private const int PromptTokens = 9;

    [Fact]
    public void The_test_prompt_is_nine_tokens()
    {
        using var body = JsonDocument.Parse(SimClient.Body(Text));
        Assert.Equal(PromptTokens, new ChatTokenCounter(TiktokenEncoding.O200kBase).CountPrompt(body.RootElement.GetProperty("messages")));
    }

    [Fact]
    public async Task Prompt_plus_max_tokens_over_the_window_is_refused_as_openai_does_and_uses_no_rate_limit()
    {
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.ContextWindow = 20;
            o.RequestsPerWindow = 1;
            o.TokensPerWindow = 30;
        });
        using var client = SimClient.Create(sim);
        var refusedBody = SimClient.Body(Text, extra: ",\"max_tokens\":12");

        using var refused = await client.PostChatAsync(refusedBody);

        var error = await SimClient.AssertErrorAsync(refused, 400, "invalid_request_error", "context_length_exceeded", "messages");
        Assert.Equal(
            "This model's maximum context length is 20 tokens. However, you requested 21 tokens (9 in the messages, 12 in the completion). Please reduce the length of the messages or completion.",
            error.GetProperty("message").GetString());
        Assert.Null(refused.Header("x-ratelimit-remaining-requests"));
        Assert.Equal(1, sim.State.BadRequests);
        Assert.Equal(refusedBody, sim.State.LastRequest!.Body);

        // Exactly at the window is accepted, and the refusal left the key's one request and 30 tokens untouched.
        using var accepted = await client.PostChatAsync(SimClient.Body(Text, extra: ",\"max_tokens\":11"));

        Assert.Equal(200, (int)accepted.StatusCode);
        var usage = (await accepted.JsonAsync()).GetProperty("usage");
        Assert.Equal(PromptTokens, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(11, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal("0", accepted.Header("x-ratelimit-remaining-requests"));
        Assert.Equal("10", accepted.Header("x-ratelimit-remaining-tokens"));
        Assert.Equal(2, sim.State.RequestsReceived);
        Assert.Equal(1, sim.State.Completed);
    }

    [Fact]
    public async Task Max_completion_tokens_wins_over_max_tokens_and_a_stream_is_refused_as_json()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ContextWindow = 20);
        using var client = SimClient.Create(sim);

        using var refused = await client.PostChatAsync(SimClient.Body(Text, extra: ",\"max_tokens\":1,\"max_completion_tokens\":15,\"stream\":true"));

        var error = await SimClient.AssertErrorAsync(refused, 400, "invalid_request_error", "context_length_exceeded", "messages");
        Assert.Equal(
            "This model's maximum context length is 20 tokens. However, you requested 24 tokens (9 in the messages, 15 in the completion). Please reduce the length of the messages or completion.",
            error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Without_max_tokens_only_the_messages_count()
    {
        await using var tight = await SimulatorHost.StartAsync(o => o.ContextWindow = PromptTokens - 1);
        await using var exact = await SimulatorHost.StartAsync(o => o.ContextWindow = PromptTokens);
        using var tightClient = SimClient.Create(tight);
        using var exactClient = SimClient.Create(exact);

        using var refused = await tightClient.PostChatAsync(SimClient.Body(Text));
        using var accepted = await exactClient.PostChatAsync(SimClient.Body(Text));

        var error = await SimClient.AssertErrorAsync(refused, 400, "invalid_request_error", "context_length_exceeded", "messages");
        Assert.Equal(
            "This model's maximum context length is 8 tokens. However, your messages resulted in 9 tokens. Please reduce the length of the messages.",
            error.GetProperty("message").GetString());
        Assert.Equal(200, (int)accepted.StatusCode);
        Assert.Equal(PromptTokens, (await accepted.JsonAsync()).GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task A_per_model_window_wins_over_the_default_and_ignores_case()
    {
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.AcceptAnyModel = true;
            o.ContextWindow = 5;
            o.ModelContextWindows = new() { ["GPT-4O"] = 8, ["sim-large"] = SimulatorOptions.UnlimitedContextWindow, ["sim-small"] = 100 };
        });
        using var client = SimClient.Create(sim);

        using var gpt4o = await client.PostChatAsync(SimClient.Body(Text, model: "gpt-4o"));
        using var large = await client.PostChatAsync(SimClient.Body(Text, model: "sim-large", extra: ",\"max_tokens\":100000"));
        using var small = await client.PostChatAsync(SimClient.Body(Text, model: "sim-small", extra: ",\"max_tokens\":91"));
        using var smallOver = await client.PostChatAsync(SimClient.Body(Text, model: "sim-small", extra: ",\"max_tokens\":92"));
        using var other = await client.PostChatAsync(SimClient.Body(Text, model: "other-model"));

        var error = await SimClient.AssertErrorAsync(gpt4o, 400, "invalid_request_error", "context_length_exceeded", "messages");
        Assert.StartsWith("This model's maximum context length is 8 tokens. However, your messages resulted in 9 tokens.", error.GetProperty("message").GetString());
        Assert.Equal(200, (int)large.StatusCode);
        Assert.Equal(200, (int)small.StatusCode);
        error = await SimClient.AssertErrorAsync(smallOver, 400, "invalid_request_error", "context_length_exceeded", "messages");
        Assert.StartsWith("This model's maximum context length is 100 tokens. However, you requested 101 tokens (9 in the messages, 92 in the completion).", error.GetProperty("message").GetString());
        error = await SimClient.AssertErrorAsync(other, 400, "invalid_request_error", "context_length_exceeded", "messages");
        Assert.StartsWith("This model's maximum context length is 5 tokens.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Negative_windows_fail_at_start_and_the_window_is_described()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => SimulatorHost.StartAsync(o =>
        {
            o.ContextWindow = -1;
            o.ModelContextWindows = new() { ["my-model"] = -2 };
        }));

        Assert.Contains(failure.Failures, f => f.Contains("Simulator:ContextWindow must not be negative (was -1)", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("Simulator:ModelContextWindows:my-model must not be negative (was -2)", StringComparison.Ordinal));
        Assert.Contains("context window:    unlimited tokens", new SimulatorOptions().Describe());
        Assert.Contains("context window:    128000 tokens, 1 per-model override(s)",
            new SimulatorOptions { ContextWindow = 128000, ModelContextWindows = new() { ["m"] = 8 } }.Describe());
    }
}
