using System.Text.Json;
using Microsoft.Extensions.Options;
using Parley.Sim.Chat;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Sim.Tests.Tokens;

public sealed class TokenCountingTests
{
    // Tokenises differently under the two encodings (o200k_base has far more CJK merges than cl100k_base).
    private const string EncodingSensitiveText = "你好，世界！这是一个测试。 Tokenizers differ.";

    [Theory]
    [InlineData(TiktokenEncoding.O200kBaseName)]
    [InlineData(TiktokenEncoding.Cl100kBaseName)]
    public void Every_filler_word_is_one_token_alone_and_after_text(string encodingName)
    {
        var encoding = TiktokenEncoding.Get(encodingName);
        Assert.All(Reply.Filler, word => Assert.Equal(1, encoding.CountTokens(word)));
        var sequence = string.Concat(Reply.Filler);
        Assert.Equal(Reply.Filler.Length, encoding.CountTokens(sequence));
        foreach (var before in new[] { "Echo: hi", "Echo: 123", "Echo: ok!", "Echo: a\n", "Echo: x  ", "Echo: 你好" })
        {
            Assert.Equal(encoding.CountTokens(before) + Reply.Filler.Length, encoding.CountTokens(before + sequence));
        }
    }

    [Fact]
    public async Task Gpt_4o_prompt_of_hello_world_is_nine_tokens()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.AcceptAnyModel = true);
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body("hello world", model: "gpt-4o"));

        var usage = (await response.JsonAsync()).GetProperty("usage");
        Assert.Equal(9, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(SimulatorOptions.DefaultResponseTokens, usage.GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData("gpt-4", TiktokenEncoding.Cl100kBaseName)]
    [InlineData("gpt-4o-mini", TiktokenEncoding.O200kBaseName)]
    [InlineData("sim-small", TiktokenEncoding.O200kBaseName)]
    [InlineData("bench-model", TiktokenEncoding.O200kBaseName)]
    public async Task Usage_is_exact_under_the_models_encoding(string model, string encodingName)
    {
        var encoding = TiktokenEncoding.Get(encodingName);
        Assert.NotEqual(TiktokenEncoding.O200kBase.CountTokens(EncodingSensitiveText), TiktokenEncoding.Cl100kBase.CountTokens(EncodingSensitiveText));
        await using var sim = await SimulatorHost.StartAsync(o => { o.AcceptAnyModel = true; o.ResponseTokens = 40; });
        using var client = SimClient.Create(sim);
        var body = SimClient.Body(EncodingSensitiveText, model: model);

        using var response = await client.PostChatAsync(body);

        var json = await response.JsonAsync();
        var content = json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.StartsWith("Echo: " + EncodingSensitiveText + " lorem", content);
        AssertUsage(json, body, encoding, expectedCompletion: 40);
        Assert.Equal(40, encoding.CountTokens(content));
    }

    [Fact]
    public async Task Configured_default_and_overrides_choose_the_encoding()
    {
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.AcceptAnyModel = true;
            o.DefaultEncoding = TiktokenEncoding.Cl100kBaseName;
            o.ModelEncodings = new() { ["gpt-4"] = TiktokenEncoding.O200kBaseName };
        });
        using var client = SimClient.Create(sim);
        var byDefault = SimClient.Body(EncodingSensitiveText, model: "sim-small");
        var overridden = SimClient.Body(EncodingSensitiveText, model: "GPT-4");

        using var first = await client.PostChatAsync(byDefault);
        using var second = await client.PostChatAsync(overridden);

        AssertUsage(await first.JsonAsync(), byDefault, TiktokenEncoding.Cl100kBase, expectedCompletion: SimulatorOptions.DefaultResponseTokens);
        AssertUsage(await second.JsonAsync(), overridden, TiktokenEncoding.O200kBase, expectedCompletion: SimulatorOptions.DefaultResponseTokens);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(12)]
    public async Task Max_tokens_cuts_a_multibyte_echo_at_real_token_boundaries(int maxTokens)
    {
        // Emoji and CJK split into several byte-level tokens: cuts can fall inside a character.
        const string text = "🙂🙃 naïve café — 東京タワー 🚀🚀";
        await using var sim = await SimulatorHost.StartAsync(o => o.AcceptAnyModel = true);
        using var client = SimClient.Create(sim);
        var body = SimClient.Body(text, model: "gpt-4", extra: $",\"max_tokens\":{maxTokens}");

        using var plain = await client.PostChatAsync(body);
        using var streamed = await client.PostChatAsync(SimClient.Body(text, model: "gpt-4",
            extra: $",\"max_tokens\":{maxTokens},\"stream\":true,\"stream_options\":{{\"include_usage\":true}}"));

        var json = await plain.JsonAsync();
        var content = json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        var completion = json.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        Assert.Equal(TiktokenEncoding.Cl100kBase.CountTokens(content), completion);
        Assert.InRange(completion, 1, maxTokens);
        Assert.StartsWith(content, "Echo: " + text);
        Assert.Equal("length", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var events = await new SseReader(await streamed.Content.ReadAsStreamAsync()).ReadAllAsync();
        var deltas = events[1..^3].Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(maxTokens, deltas.Count());
        Assert.Equal(content, string.Concat(deltas));
        Assert.Equal(completion, JsonDocument.Parse(events[^2]).RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Unknown_encoding_names_fail_at_start()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => SimulatorHost.StartAsync(o =>
        {
            o.DefaultEncoding = "p50k_base";
            o.ModelEncodings = new() { ["my-model"] = "r50k_base" };
        }));

        Assert.Contains(failure.Failures, f => f.Contains("Simulator:DefaultEncoding", StringComparison.Ordinal));
        Assert.Contains(failure.Failures, f => f.Contains("Simulator:ModelEncodings:my-model", StringComparison.Ordinal));
    }

    private static void AssertUsage(JsonElement json, string body, TiktokenEncoding encoding, int expectedCompletion)
    {
        using var request = JsonDocument.Parse(body);
        var usage = json.GetProperty("usage");
        var prompt = new ChatTokenCounter(encoding).CountPrompt(request.RootElement.GetProperty("messages"));
        var content = json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Equal(prompt, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(expectedCompletion, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(encoding.CountTokens(content), usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(prompt + expectedCompletion, usage.GetProperty("total_tokens").GetInt32());
    }
}
