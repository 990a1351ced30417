using System.Buffers;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OpenAI;
using OpenAI.Chat;
using Parley.Silo.Providers.Anthropic;
using Xunit;
using static Parley.Silo.Tests.Providers.Anthropic.AnthropicStreams;

namespace Parley.Silo.Tests.Providers.Anthropic;

/// <summary>The official OpenAI .NET SDK talks to an "upstream" that translates its body for Anthropic and answers
/// with translated Anthropic answers: what the SDK sends translates, and what Anthropic answers parses.</summary>
public sealed class AnthropicOpenAISdkTests
{
    private static readonly ChatTool WeatherTool = ChatTool.CreateFunctionTool("get_weather", "Weather now",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""));

    private sealed class TranslatingHandler(string anthropicAnswer) : HttpMessageHandler
    {
        public string? AnthropicRequest { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var openAiBody = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var output = new ArrayBufferWriter<byte>();
            var error = AnthropicRequestTranslator.Write(openAiBody, output, new AnthropicRequestSettings());
            Assert.Null(error);
            AnthropicRequest = Encoding.UTF8.GetString(output.WrittenSpan);
            HttpContent content;
            if (AnthropicRequest.Contains("\"stream\":true", StringComparison.Ordinal))
            {
                content = new StreamContent(new AnthropicStreamTranslator(ChunkedStream.ByteByByte(Bytes(anthropicAnswer)), Created));
                content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
            }
            else
            {
                var completion = new ArrayBufferWriter<byte>();
                Assert.True(AnthropicResponseTranslator.WriteChatCompletion(Bytes(anthropicAnswer), completion, Created));
                content = new ByteArrayContent(completion.WrittenSpan.ToArray());
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        }
    }

    private static ChatClient Client(HttpMessageHandler handler)
        => new("claude-opus-4-1", new ApiKeyCredential("unused"), new OpenAIClientOptions
        {
            Endpoint = new Uri("http://upstream.invalid/v1"),
            Transport = new HttpClientPipelineTransport(new HttpClient(handler)),
        });

    [Fact]
    public async Task A_streamed_tool_use_answer_reads_as_OpenAI_tool_calls()
    {
        var handler = new TranslatingHandler(Tools);
        var options = new ChatCompletionOptions { Tools = { WeatherTool }, AllowParallelToolCalls = false, Temperature = 0.2f };
        var text = new StringBuilder();
        var calls = new SortedDictionary<int, (string? Id, string? Name, StringBuilder Arguments)>();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;

        await foreach (var update in Client(handler).CompleteChatStreamingAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Weather in Oslo?")], options))
        {
            text.Append(string.Concat(update.ContentUpdate.Select(part => part.Text)));
            foreach (var call in update.ToolCallUpdates)
            {
                if (!calls.TryGetValue(call.Index, out var entry))
                {
                    entry = (null, null, new StringBuilder());
                }
                entry = (call.ToolCallId ?? entry.Id, call.FunctionName ?? entry.Name, entry.Arguments.Append(call.FunctionArgumentsUpdate?.ToString()));
                calls[call.Index] = entry;
            }
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal("Let me check.", text.ToString());
        Assert.Equal([(0, "toolu_A", "get_weather", """{"city": "Oslo"}"""), (1, "toolu_B", "get_time", "{}")],
            calls.Select(c => (c.Key, c.Value.Id, c.Value.Name, c.Value.Arguments.ToString())));
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal((150, 60, 210), (usage!.InputTokenCount, usage.OutputTokenCount, usage.TotalTokenCount));
        Assert.Contains("\"system\":\"Be brief.\"", handler.AnthropicRequest);
        Assert.Contains("\"tool_choice\":{\"type\":\"auto\",\"disable_parallel_tool_use\":true}", handler.AnthropicRequest);
    }

    [Fact]
    public async Task A_non_streamed_answer_reads_as_an_OpenAI_completion()
    {
        var handler = new TranslatingHandler("""
            {"id":"msg_9","type":"message","role":"assistant","model":"claude-opus-4-1","content":[{"type":"text","text":"Checking."},
             {"type":"tool_use","id":"toolu_9","name":"get_weather","input":{"city":"Oslo"}}],"stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":20,"cache_read_input_tokens":5,"output_tokens":8}}
            """);
        var options = new ChatCompletionOptions { Tools = { WeatherTool }, ToolChoice = ChatToolChoice.CreateFunctionChoice("get_weather"), MaxOutputTokenCount = 300 };

        ChatCompletion completion = await Client(handler).CompleteChatAsync([new UserChatMessage("Weather in Oslo?")], options);

        Assert.Equal("chatcmpl-msg_9", completion.Id);
        Assert.Equal("claude-opus-4-1", completion.Model);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(Created), completion.CreatedAt);
        Assert.Equal("Checking.", completion.Content.Single().Text);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal(("toolu_9", "get_weather", """{"city":"Oslo"}"""), (call.Id, call.FunctionName, call.FunctionArguments.ToString()));
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal((25, 8, 33), (completion.Usage.InputTokenCount, completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount));
        Assert.Contains("\"max_tokens\":300", handler.AnthropicRequest);
        Assert.Contains("\"tool_choice\":{\"type\":\"tool\",\"name\":\"get_weather\"}", handler.AnthropicRequest);
    }
}
