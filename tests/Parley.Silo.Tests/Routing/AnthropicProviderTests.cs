using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Parley.Silo.Tests.Infrastructure;
using Parley.Sim.Hosting;
using Xunit;

namespace Parley.Silo.Tests.Routing;

/// <summary>An Anthropic provider behind the OpenAI facade, over HTTP against the simulator's Messages API: requests
/// translated to Anthropic's shape, answers (streamed or not) back to OpenAI's, including a tool call round trip.</summary>
public sealed class AnthropicProviderTests : IAsyncLifetime
{
    private const string AnthropicKey = "sk-ant-test-0123456789abcdef";
    private const string Model = "claude";

    private SimulatorHost _anthropic = null!;
    private SiloHarness _silo = null!;
    private HttpClient _client = null!;
    private string _key = "";

    public async Task InitializeAsync()
    {
        _anthropic = await SimulatorHost.StartAsync(o =>
        {
            o.ApiKeys = [AnthropicKey];
            o.Models = ["claude-sim"];
            o.ResponseTokens = 8;
        });
        _silo = await SiloHarness.StartAsync(settings =>
        {
            settings["Parley:Providers:anthropic:Type"] = "Anthropic";
            settings["Parley:Providers:anthropic:BaseUrl"] = _anthropic.Url.ToString();
            settings["Parley:Providers:anthropic:ApiKey"] = AnthropicKey;
            settings["Parley:Providers:anthropic:DefaultMaxTokens"] = "1000";
            settings["Parley:Providers:anthropic:ForwardHeaders:0"] = "x-sim-fault";
            settings["Parley:Providers:anthropic:Resilience:Retry:MaxRetries"] = "1";
            settings[$"Parley:Models:{Model}:Provider"] = "anthropic";
            settings[$"Parley:Models:{Model}:UpstreamModel"] = "claude-sim";
        });
        (_, _key) = await _silo.CreateUserAsync("anthropic-user");
        _client = _silo.CreateClient(_key);
    }

    public async Task DisposeAsync()
    {
        await _silo.DisposeAsync();
        await _anthropic.DisposeAsync();
    }

    private JsonElement LastUpstreamBody() => JsonDocument.Parse(_anthropic.State.LastRequest!.Body).RootElement.Clone();

    [Fact]
    public async Task A_system_prompt_and_multi_part_content_are_translated_and_the_answer_reads_as_OpenAIs()
    {
        var body = $$$"""
            {"model":"{{{Model}}}","messages":[
              {"role":"system","content":"Be brief."},
              {"role":"user","content":[{"type":"text","text":"What is in"},{"type":"text","text":"this picture?"},
                {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}
            """;

        using var response = await _client.PostChatAsync(body);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var upstream = LastUpstreamBody();
        Assert.Equal("/v1/messages", _anthropic.State.LastRequest!.Path);
        Assert.Equal("claude-sim", upstream.GetProperty("model").GetString());
        Assert.Equal("Be brief.", upstream.GetProperty("system").GetString());
        Assert.Equal(1000, upstream.GetProperty("max_tokens").GetInt32());
        var blocks = upstream.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal(["text", "text", "image"], blocks.EnumerateArray().Select(b => b.GetProperty("type").GetString()!).ToArray());
        Assert.Equal("base64", blocks[2].GetProperty("source").GetProperty("type").GetString());
        Assert.Equal("image/png", blocks[2].GetProperty("source").GetProperty("media_type").GetString());

        var completion = JsonDocument.Parse(text).RootElement;
        Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-msg_", completion.GetProperty("id").GetString(), StringComparison.Ordinal);
        var choice = completion.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.StartsWith("Echo: ", choice.GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
        var usage = completion.GetProperty("usage");
        // The simulator's input count: "Be brief." (3) + "What is in" (3) + "this picture?" (3) + one image (1600).
        Assert.Equal(1609, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(8, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(1617, usage.GetProperty("total_tokens").GetInt32());
        Assert.Equal("anthropic", response.Header("x-parley-provider"));
    }

    [Fact]
    public async Task A_streamed_answer_arrives_as_OpenAI_chunks_with_usage()
    {
        using var response = await _client.PostChatAsync(
            $$$"""{"model":"{{{Model}}}","messages":[{"role":"user","content":"stream me"}],"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = Http.DataEvents(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var text = new StringBuilder();
        foreach (var chunk in chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0))
        {
            if (chunk.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var delta))
            {
                text.Append(delta.GetString());
            }
        }
        Assert.StartsWith("Echo: stream me", text.ToString(), StringComparison.Ordinal);
        Assert.Equal("stop", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = chunks[^1].GetProperty("usage");
        Assert.Equal(2, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(8, usage.GetProperty("completion_tokens").GetInt32());
        Assert.True(LastUpstreamBody().GetProperty("stream").GetBoolean());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_tool_call_round_trip_goes_through_the_official_OpenAI_SDK(bool stream)
    {
        var client = new ChatClient(Model, new ApiKeyCredential(_key), new OpenAIClientOptions { Endpoint = new Uri(_silo.SiloUrl, "v1") });
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("weather", "Weather in a city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""")) },
        };
        List<ChatMessage> messages = [new SystemChatMessage("You help with weather."), new UserChatMessage("Lisbon")];

        var (callId, name, arguments, finish) = stream ? await StreamToolCallAsync(client, messages, options) : await ToolCallAsync(client, messages, options);

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal("weather", name);
        Assert.Equal("""{"city":"Lisbon"}""", arguments);
        Assert.StartsWith("toolu_", callId, StringComparison.Ordinal);
        var tools = LastUpstreamBody().GetProperty("tools");
        Assert.Equal("weather", tools[0].GetProperty("name").GetString());
        Assert.Equal("object", tools[0].GetProperty("input_schema").GetProperty("type").GetString());

        messages.Add(new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall(callId, name, BinaryData.FromString(arguments))]));
        messages.Add(new ToolChatMessage(callId, "sunny, 24 degrees"));
        ChatCompletion answer = await client.CompleteChatAsync(messages, options);

        Assert.StartsWith("Tool result: sunny, 24 degrees", answer.Content[0].Text, StringComparison.Ordinal);
        var upstream = LastUpstreamBody().GetProperty("messages");
        Assert.Equal(["user", "assistant", "user"], upstream.EnumerateArray().Select(m => m.GetProperty("role").GetString()!).ToArray());
        var toolUse = upstream[1].GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "tool_use");
        Assert.Equal(callId, toolUse.GetProperty("id").GetString());
        Assert.Equal("Lisbon", toolUse.GetProperty("input").GetProperty("city").GetString());
        var result = upstream[2].GetProperty("content")[0];
        Assert.Equal("tool_result", result.GetProperty("type").GetString());
        Assert.Equal(callId, result.GetProperty("tool_use_id").GetString());
    }

    private static async Task<(string Id, string Name, string Arguments, ChatFinishReason Finish)> ToolCallAsync(ChatClient client, List<ChatMessage> messages, ChatCompletionOptions options)
    {
        ChatCompletion completion = await client.CompleteChatAsync(messages, options);
        var call = Assert.Single(completion.ToolCalls);
        return (call.Id, call.FunctionName, call.FunctionArguments.ToString(), completion.FinishReason);
    }

    private static async Task<(string Id, string Name, string Arguments, ChatFinishReason Finish)> StreamToolCallAsync(ChatClient client, List<ChatMessage> messages, ChatCompletionOptions options)
    {
        string? id = null, name = null;
        var arguments = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                id ??= part.ToolCallId;
                name ??= part.FunctionName;
                arguments.Append(part.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }
        return (id!, name!, arguments.ToString(), finish!.Value);
    }

    [Fact]
    public async Task Anthropic_refusals_come_back_in_OpenAIs_shape()
    {
        using var tooMany = await _client.PostChatAsync($$"""{"model":"{{Model}}","messages":[{"role":"user","content":"hi"}],"n":2}""");
        await tooMany.AssertErrorAsync(HttpStatusCode.BadRequest, "unsupported_value", "n");
        Assert.Equal(0, _anthropic.State.RequestsReceived);

        using var overloaded = await _client.PostChatAsync(Bodies.Simple(model: Model), r => r.Headers.Add("x-sim-fault", "503"));
        // Anthropic's 529 overloaded_error is a server failure: retried, then answered as 502.
        var error = await overloaded.AssertErrorAsync(HttpStatusCode.BadGateway, "upstream_error", type: "upstream_error");
        Assert.Contains("HTTP 529", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("2", overloaded.Header("x-parley-attempts"));
    }
}
