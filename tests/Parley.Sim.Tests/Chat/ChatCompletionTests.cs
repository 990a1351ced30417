using System.Net;
using System.Text.Json;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Tokenizer;
using Parley.Tokenizer.Chat;

namespace Parley.Sim.Tests.Chat;

public sealed class ChatCompletionTests
{
    // "Echo", ":", " hello" and 17 filler words (one o200k_base token each) make the default 20 tokens.
    private const string HelloReply = "Echo: hello lorem ipsum dolor sit amet sed do tempor magna aliqua enim ad minim veniam quis labore lorem";

    [Fact]
    public async Task Non_streaming_answer_has_openai_shape_deterministic_content_and_usage()
    {
        var clock = new Parley.Testing.ManualTimeProvider();
        await using var sim = await SimulatorHost.StartAsync(timeProvider: clock);
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body("hello"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = await response.JsonAsync();
        Assert.StartsWith("chatcmpl-", json.GetProperty("id").GetString());
        Assert.Equal(33, json.GetProperty("id").GetString()!.Length);
        Assert.Equal("chat.completion", json.GetProperty("object").GetString());
        Assert.Equal(clock.GetUtcNow().ToUnixTimeSeconds(), json.GetProperty("created").GetInt64());
        Assert.Equal("sim-small", json.GetProperty("model").GetString());
        Assert.Equal("fp_parley_sim", json.GetProperty("system_fingerprint").GetString());
        var choice = Assert.Single(json.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal(HelloReply, message.GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("refusal").ValueKind);
        var usage = json.GetProperty("usage");
        // 3 per message + "user" 1 + "hello" 1 + 3 to prime the reply (OpenAI's chat format).
        Assert.Equal(8, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(20, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(28, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal(20, TiktokenEncoding.O200kBase.CountTokens(HelloReply));
    }

    [Fact]
    public async Task Reply_echoes_the_last_user_message_and_prompt_tokens_count_every_message()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 8);
        using var client = SimClient.Create(sim);
        const string body = """
            {"model":"sim-large","messages":[
              {"role":"system","content":"Be brief."},
              {"role":"user","content":"first question"},
              {"role":"assistant","content":"first answer"},
              {"role":"user","content":[{"type":"text","text":"second"},{"type":"text","text":"question"}]},
              {"role":"assistant","content":null,"tool_calls":[]}
            ]}
            """;

        using var response = await client.PostChatAsync(body);

        var json = await response.JsonAsync();
        Assert.Equal("sim-large", json.GetProperty("model").GetString());
        // Text parts join with a newline; the newline is a token of its own.
        Assert.Equal("Echo: second\nquestion lorem ipsum dolor", json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        // sim-large is not in OpenAI's model table: counted with the default o200k_base.
        using var messages = JsonDocument.Parse(body);
        var expected = new ChatTokenCounter(TiktokenEncoding.O200kBase).CountPrompt(messages.RootElement.GetProperty("messages"));
        Assert.Equal(expected, json.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        // 5 x 3 framing + roles 5 + ("Be", " brief", ".") 3 + 2 + 2 + ("second", "question": parts join without a
        // separator in the count) + 0, + 3.
        Assert.Equal(32, expected);
        Assert.Equal(8, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData("max_tokens", 5, "length", 5)]
    [InlineData("max_completion_tokens", 3, "length", 3)]
    [InlineData("max_tokens", 20, "stop", 20)]
    [InlineData("max_tokens", 500, "stop", 20)]
    public async Task Max_tokens_caps_the_answer_with_finish_reason_length(string field, int max, string finish, int tokens)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body("hello", extra: $",\"{field}\":{max}"));

        var json = await response.JsonAsync();
        var choice = json.GetProperty("choices")[0];
        Assert.Equal(finish, choice.GetProperty("finish_reason").GetString());
        Assert.Equal(tokens, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(ExpectedPrefix(tokens), choice.GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Max_completion_tokens_wins_over_max_tokens()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body("hello", extra: ",\"max_tokens\":2,\"max_completion_tokens\":4"));

        Assert.Equal(4, (await response.JsonAsync()).GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Response_tokens_header_overrides_the_configured_length()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body("hello"), ("x-sim-response-tokens", "4"));

        var json = await response.JsonAsync();
        Assert.Equal("Echo: hello lorem", json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Any_model_is_echoed_when_configured_to_accept_any()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.AcceptAnyModel = true);
        using var client = SimClient.Create(sim);

        using var response = await client.PostChatAsync(SimClient.Body("hi", model: "gpt-4o-mini"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4o-mini", (await response.JsonAsync()).GetProperty("model").GetString());
    }

    [Fact]
    public async Task Models_lists_the_configured_models()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.Models = ["alpha", "beta"]);
        using var client = SimClient.Create(sim);

        var list = await (await client.GetAsync("v1/models")).JsonAsync();
        using var one = await client.GetAsync("v1/models/beta");
        using var missing = await client.GetAsync("v1/models/gamma");

        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.Equal(["alpha", "beta"], list.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.All(list.GetProperty("data").EnumerateArray(), m => Assert.Equal("model", m.GetProperty("object").GetString()));
        Assert.Equal("beta", (await one.JsonAsync()).GetProperty("id").GetString());
        await SimClient.AssertErrorAsync(missing, 404, "invalid_request_error", "model_not_found");
    }

    [Fact]
    public async Task Unknown_route_is_an_openai_404()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = SimClient.Create(sim);

        using var response = await client.GetAsync("v1/nothing-here");

        var error = await SimClient.AssertErrorAsync(response, 404, "invalid_request_error", null);
        Assert.Equal("Invalid URL (GET /v1/nothing-here)", error.GetProperty("message").GetString());
    }

    private static string ExpectedPrefix(int tokens)
    {
        // Token i of HelloReply: "Echo", ":", " hello", then one filler word each.
        var words = HelloReply["Echo: ".Length..].Split(' ');
        return tokens switch
        {
            1 => "Echo",
            2 => "Echo:",
            _ => "Echo: " + string.Join(' ', words.Take(tokens - 2)),
        };
    }
}
