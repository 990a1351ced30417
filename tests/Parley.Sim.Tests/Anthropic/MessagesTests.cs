using System.Net;
using System.Text.Json;
using Parley.Sim.Anthropic;
using Parley.Sim.Hosting;
using Parley.Sim.Tests.Infrastructure;
using Parley.Tokenizer;

namespace Parley.Sim.Tests.Anthropic;

public sealed class MessagesTests
{
    private const string HelloReply = "Echo: hello lorem ipsum dolor sit amet sed do tempor magna aliqua enim ad minim veniam quis labore lorem";

    [Fact]
    public async Task Message_has_anthropics_shape_deterministic_text_and_exact_usage()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body("hello"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("req_", response.Header("request-id"));
        var json = await response.JsonAsync();
        Assert.Equal(["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"], json.EnumerateObject().Select(p => p.Name));
        Assert.StartsWith("msg_", json.GetProperty("id").GetString());
        Assert.Equal(28, json.GetProperty("id").GetString()!.Length);
        Assert.Equal("message", json.GetProperty("type").GetString());
        Assert.Equal("assistant", json.GetProperty("role").GetString());
        Assert.Equal("sim-small", json.GetProperty("model").GetString());
        var block = Assert.Single(json.GetProperty("content").EnumerateArray());
        Assert.Equal("""{"type":"text","text":"Echo: hello lorem ipsum dolor sit amet sed do tempor magna aliqua enim ad minim veniam quis labore lorem"}""", block.GetRawText());
        Assert.Equal("end_turn", json.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("stop_sequence").ValueKind);
        // "hello" is one o200k_base token; the reply is the default 20.
        Assert.Equal("""{"input_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":20,"service_tier":"standard"}""",
            json.GetProperty("usage").GetRawText());
        Assert.Equal(20, TiktokenEncoding.O200kBase.CountTokens(HelloReply));
        Assert.Equal(1, sim.State.Completed);
        Assert.Equal("/v1/messages", sim.State.LastRequest!.Path);
    }

    [Fact]
    public async Task Input_tokens_are_the_system_text_and_every_block_plus_a_fixed_cost_per_image()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 6);
        using var client = AnthropicSimClient.Create(sim);
        const string body = """
            {"model":"sim-large","max_tokens":100,
             "system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Answer in French."}],
             "messages":[
              {"role":"user","content":"first question"},
              {"role":"assistant","content":[{"type":"text","text":"first answer"}]},
              {"role":"user","content":[
                {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
                {"type":"text","text":"second"},
                {"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}},
                {"text":"question","type":"text"}]}
            ]}
            """;

        using var response = await client.PostMessagesAsync(body);

        var json = await response.JsonAsync();
        var o200k = TiktokenEncoding.O200kBase;
        var texts = new[] { "Be brief.", "Answer in French.", "first question", "first answer", "second", "question" };
        Assert.Equal(texts.Sum(t => o200k.CountTokens(t)) + (2 * MessagesRequestParser.TokensPerImage), json.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        // (3 + 4) + 2 + 2 + (1 + 1) + 2 images of 1600.
        Assert.Equal(3213, json.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        // The last user message's text blocks, one per line (the newline is a token of its own).
        Assert.Equal("Echo: second\nquestion lorem", json.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(6, json.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Theory]
    [InlineData("gpt-4", TiktokenEncoding.Cl100kBaseName)]
    [InlineData("claude-sonnet-4-5", TiktokenEncoding.O200kBaseName)]
    public async Task Tokens_are_counted_with_the_models_encoding(string model, string encodingName)
    {
        const string text = "你好，世界！这是一个测试。 Tokenizers differ.";
        var encoding = TiktokenEncoding.Get(encodingName);
        await using var sim = await SimulatorHost.StartAsync(o =>
        {
            o.AcceptAnyModel = true;
            o.ResponseTokens = 30;
        });
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body(text, model: model, extra: ""","system":"Be brief." """));

        var json = await response.JsonAsync();
        Assert.Equal(model, json.GetProperty("model").GetString());
        Assert.Equal(encoding.CountTokens(text) + encoding.CountTokens("Be brief."), json.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        var reply = json.GetProperty("content")[0].GetProperty("text").GetString()!;
        Assert.Equal(30, encoding.CountTokens(reply));
        Assert.Equal(30, json.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Max_tokens_cuts_the_text_and_stops_with_max_tokens()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body("hello", maxTokens: 3));

        var json = await response.JsonAsync();
        Assert.Equal("Echo: hello", json.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("max_tokens", json.GetProperty("stop_reason").GetString());
        Assert.Equal(3, json.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Response_length_header_sets_the_length_and_ends_the_turn()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body("hello"), ("x-sim-response-tokens", "4"));

        var json = await response.JsonAsync();
        Assert.Equal("Echo: hello lorem", json.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("end_turn", json.GetProperty("stop_reason").GetString());
    }

    [Theory]
    [InlineData("hello", """[" dolor","ipsum"]""", "Echo: hello lorem ", "ipsum", 5)] // the earliest match wins, whatever the order
    [InlineData("say STOP now", """["STOP"]""", "Echo: say ", "STOP", 4)]
    [InlineData("hello", """["","absent"]""", HelloReply, null, 20)]
    public async Task Stop_sequence_ends_the_text_where_it_starts(string userText, string stopSequences, string expected, string? matched, int outputTokens)
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync(AnthropicSimClient.Body(userText, extra: $",\"stop_sequences\":{stopSequences}"));

        var json = await response.JsonAsync();
        Assert.Equal(expected, json.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(matched is null ? "end_turn" : "stop_sequence", json.GetProperty("stop_reason").GetString());
        Assert.Equal(matched, json.GetProperty("stop_sequence").GetString());
        Assert.Equal(outputTokens, json.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal(outputTokens, TiktokenEncoding.O200kBase.CountTokens(expected));
    }

    [Fact]
    public async Task A_final_empty_assistant_turn_is_a_prefill_and_the_last_user_text_is_echoed()
    {
        await using var sim = await SimulatorHost.StartAsync(o => o.ResponseTokens = 3);
        using var client = AnthropicSimClient.Create(sim);

        using var response = await client.PostMessagesAsync("""
            {"model":"sim-small","max_tokens":10,"messages":[{"role":"user","content":"hi there"},{"role":"assistant","content":""}]}
            """);

        var json = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Echo: hi", json.GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Unknown_fields_are_ignored_and_the_body_is_recorded_as_sent()
    {
        await using var sim = await SimulatorHost.StartAsync();
        using var client = AnthropicSimClient.Create(sim);
        var body = AnthropicSimClient.Body("hi", extra: ""","thinking":{"type":"disabled"},"service_tier":"auto","metadata":{"user_id":"u-1"},"temperature":0.5,"top_p":0.9,"top_k":5""");

        using var response = await client.PostMessagesAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, sim.State.LastRequest!.Body);
        Assert.True(sim.State.LastRequest.IsJson);
    }
}
