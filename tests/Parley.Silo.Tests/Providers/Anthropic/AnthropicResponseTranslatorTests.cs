using System.Buffers;
using System.Text;
using System.Text.Json;
using Parley.Silo.Chat;
using Parley.Silo.Providers.Anthropic;
using Xunit;

namespace Parley.Silo.Tests.Providers.Anthropic;

/// <summary>Anthropic's non-streamed message as OpenAI's chat.completion, byte for byte.</summary>
public sealed class AnthropicResponseTranslatorTests
{
    private const long Created = 1_700_000_000;

    internal static string Translate(string anthropicMessage)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(AnthropicResponseTranslator.WriteChatCompletion(Encoding.UTF8.GetBytes(anthropicMessage), output, Created));
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static string Message(string content, string stopReason = "\"end_turn\"", string usage = """{"input_tokens":10,"output_tokens":5}""")
        => $$"""{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":{{content}},"stop_reason":{{stopReason}},"stop_sequence":null,"usage":{{usage}}}""";

    private static string Completion(string message, string finishReason = "\"stop\"", string usage = """{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}""")
        => $$"""{"id":"chatcmpl-msg_01","object":"chat.completion","created":1700000000,"model":"claude-sonnet-4-5","choices":[{"index":0,"message":{{message}},"logprobs":null,"finish_reason":{{finishReason}}}],"usage":{{usage}}}""";

    [Fact]
    public void A_text_answer()
    {
        var json = Translate(Message("""[{"type":"text","text":"Hello \"world\"\n\u00e9 😀"}]"""));

        Assert.Equal(Completion("""{"role":"assistant","content":"Hello \"world\"\n\u00e9 😀","refusal":null}"""), json);
    }

    [Fact]
    public void A_tool_call_answer_has_null_content_and_compact_arguments()
    {
        var json = Translate(Message("""
            [{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{ "city" : "Oslo, \"NO\"",
              "days": [1, 2] }}]
            """, "\"tool_use\""));

        Assert.Equal(Completion("""{"role":"assistant","content":null,"tool_calls":[{"id":"toolu_01","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo, \\\"NO\\\"\",\"days\":[1,2]}"}}],"refusal":null}""", "\"tool_calls\""), json);
    }

    [Fact]
    public void Mixed_content_joins_the_text_keeps_every_tool_call_in_order_and_drops_thinking()
    {
        var json = Translate(Message("""
            [{"type":"thinking","thinking":"Let me see","signature":"sig"},{"type":"redacted_thinking","data":"xyz"},
             {"type":"text","text":"Checking "},{"type":"tool_use","id":"t1","name":"a","input":{}},
             {"text":"both.","type":"text","citations":null},{"type":"server_tool_use","id":"s1","name":"web_search","input":{"query":"q"}},
             {"type":"web_search_tool_result","tool_use_id":"s1","content":[]},{"type":"tool_use","input":{"x":null},"name":"b","id":"t2"}]
            """, "\"tool_use\""));

        Assert.Equal(Completion("""{"role":"assistant","content":"Checking both.","tool_calls":[{"id":"t1","type":"function","function":{"name":"a","arguments":"{}"}},{"id":"t2","type":"function","function":{"name":"b","arguments":"{\"x\":null}"}}],"refusal":null}""", "\"tool_calls\""), json);
    }

    [Fact]
    public void An_empty_answer_has_null_content()
    {
        Assert.Equal(Completion("""{"role":"assistant","content":null,"refusal":null}"""), Translate(Message("[]")));
    }

    [Theory]
    [InlineData("\"end_turn\"", "\"stop\"")]
    [InlineData("\"stop_sequence\"", "\"stop\"")]
    [InlineData("\"pause_turn\"", "\"stop\"")]
    [InlineData("\"max_tokens\"", "\"length\"")]
    [InlineData("\"model_context_window_exceeded\"", "\"length\"")]
    [InlineData("\"tool_use\"", "\"tool_calls\"")]
    [InlineData("\"refusal\"", "\"content_filter\"")]
    [InlineData("\"some_future_reason\"", "\"stop\"")]
    [InlineData("null", "null")]
    public void Every_stop_reason_has_its_finish_reason(string stopReason, string finishReason)
    {
        var json = Translate(Message("""[{"type":"text","text":"x"}]""", stopReason));

        Assert.Equal(Completion("""{"role":"assistant","content":"x","refusal":null}""", finishReason), json);
    }

    [Theory]
    [InlineData("""{"input_tokens":3,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":7}""", 1103, 7)]
    [InlineData("""{"cache_read_input_tokens":null,"input_tokens":3,"cache_creation_input_tokens":null,"output_tokens":7,"server_tool_use":{"web_search_requests":1},"service_tier":"standard"}""", 3, 7)]
    [InlineData("""{}""", 0, 0)]
    public void Prompt_tokens_count_cached_input_too(string usage, int prompt, int completion)
    {
        var json = Translate(Message("[]", usage: usage));

        Assert.EndsWith($$$""","usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":{{{completion}}},"total_tokens":{{{prompt + completion}}}}}""", json);
    }

    [Fact]
    public void Without_usage_the_counts_are_zero_and_a_missing_model_is_empty()
    {
        var json = Translate("""{"type":"message","id":"msg_2","content":[{"type":"text","text":"x"}],"stop_reason":"end_turn"}""");

        Assert.Equal("""{"id":"chatcmpl-msg_2","object":"chat.completion","created":1700000000,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"x","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0}}""", json);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html><body>502 Bad Gateway</body></html>")]
    [InlineData("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""")]
    [InlineData("""{"id":"msg_01","type":"message","content":[{"type":"text","text":"cut""")]
    [InlineData("""{"id":"msg_01","type":"message","content":[]} trailing""")]
    [InlineData("""{"type":"message","content":[]}""")]
    [InlineData("""{"id":"msg_01","type":"message"}""")]
    [InlineData("""{"id":"msg_01","type":"message","content":"text"}""")]
    [InlineData("""{"id":7,"type":"message","content":[]}""")]
    [InlineData("""[{"id":"msg_01","type":"message","content":[]}]""")]
    [InlineData("null")]
    public void A_body_that_is_not_an_Anthropic_message_is_refused_and_nothing_is_written(string body)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.False(AnthropicResponseTranslator.WriteChatCompletion(Encoding.UTF8.GetBytes(body), output, Created));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void The_silo_reads_the_usage_and_the_assistant_message_of_the_translation()
    {
        var json = Encoding.UTF8.GetBytes(Translate(Message("""[{"type":"text","text":"Hi"},{"type":"tool_use","id":"t","name":"f","input":{"a":1}}]""", "\"tool_use\"",
            """{"input_tokens":4,"cache_read_input_tokens":6,"output_tokens":9}""")));
        var scanner = new IncrementalUsageScanner();
        scanner.Feed(new ReadOnlySequence<byte>(json), isFinalBlock: true);

        Assert.Equal(new ChatUsage(10, 9, 19), scanner.Usage);
        using var document = JsonDocument.Parse(json);
        var message = document.RootElement.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal("{\"a\":1}", message.GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
    }
}
