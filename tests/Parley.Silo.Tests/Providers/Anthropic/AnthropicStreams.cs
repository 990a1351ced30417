using System.Text;
using Parley.Silo.Providers.Anthropic;

namespace Parley.Silo.Tests.Providers.Anthropic;

/// <summary>Anthropic event sequences as the Messages API streams them, and the OpenAI chunks expected for them.</summary>
internal static class AnthropicStreams
{
    public const long Created = 1_700_000_000;

    public static string Sse(params (string Event, string Data)[] events)
        => string.Concat(events.Select(e => $"event: {e.Event}\ndata: {e.Data}\n\n"));

    public static readonly string Text = Sse(
        ("message_start", """{"type":"message_start","message":{"id":"msg_1nZdL29xx","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}"""),
        ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
        ("ping", """{"type": "ping"}"""),
        ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"""),
        ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!\n\"é\" 😀 \u2028"}}"""),
        ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
        ("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"""),
        ("message_stop", """{"type":"message_stop"}"""));

    public static string TextChunk(string delta, string finishReason = "null")
        => Chunk("chatcmpl-msg_1nZdL29xx", "claude-sonnet-4-5-20250929", delta, finishReason);

    public static readonly string TextRole = TextChunk("""{"role":"assistant","content":""}""");
    public static readonly string TextHello = TextChunk("""{"content":"Hello"}""");
    public static readonly string TextRest = TextChunk("""{"content":"!\n\"é\" 😀 \u2028"}""");
    public static readonly string TextFinish = TextChunk("{}", "\"stop\"");
    public static readonly string TextUsage = """data: {"id":"chatcmpl-msg_1nZdL29xx","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4-5-20250929","choices":[],"usage":{"prompt_tokens":25,"completion_tokens":15,"total_tokens":40}}""" + "\n\n";
    public const string Done = "data: [DONE]\n\n";
    public static readonly string TextTranslated = TextRole + TextHello + TextRest + TextFinish + TextUsage + Done;

    /// <summary>Thinking, text, a tool call with input fragments and one without: tool indexes count tool calls only.</summary>
    public static readonly string Tools = Sse(
        ("message_start", """{"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","content":[],"model":"claude-opus-4-1","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":100,"cache_creation_input_tokens":null,"cache_read_input_tokens":50,"output_tokens":2}}}"""),
        ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"""),
        ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"The user wants weather."}}"""),
        ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}"""),
        ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
        ("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"""),
        ("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me check."}}"""),
        ("content_block_stop", """{"type":"content_block_stop","index":1}"""),
        ("content_block_start", """{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_A","name":"get_weather","input":{}}}"""),
        ("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}"""),
        ("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Os"}}"""),
        ("ping", """{"type":"ping"}"""),
        ("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"lo\"}"}}"""),
        ("content_block_stop", """{"type":"content_block_stop","index":2}"""),
        ("content_block_start", """{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_B","name":"get_time","input":{}}}"""),
        ("content_block_stop", """{"type":"content_block_stop","index":3}"""),
        ("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":60}}"""),
        ("message_stop", """{"type":"message_stop"}"""));

    public static string ToolChunk(string delta, string finishReason = "null") => Chunk("chatcmpl-msg_2", "claude-opus-4-1", delta, finishReason);

    public static readonly string ToolsTranslated =
        ToolChunk("""{"role":"assistant","content":""}""")
        + ToolChunk("""{"content":"Let me check."}""")
        + ToolChunk("""{"tool_calls":[{"index":0,"id":"toolu_A","type":"function","function":{"name":"get_weather","arguments":""}}]}""")
        + ToolChunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\": \"Os"}}]}""")
        + ToolChunk("""{"tool_calls":[{"index":0,"function":{"arguments":"lo\"}"}}]}""")
        + ToolChunk("""{"tool_calls":[{"index":1,"id":"toolu_B","type":"function","function":{"name":"get_time","arguments":""}}]}""")
        + ToolChunk("""{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}""")
        + ToolChunk("{}", "\"tool_calls\"")
        + """data: {"id":"chatcmpl-msg_2","object":"chat.completion.chunk","created":1700000000,"model":"claude-opus-4-1","choices":[],"usage":{"prompt_tokens":150,"completion_tokens":60,"total_tokens":210}}""" + "\n\n"
        + Done;

    private static string Chunk(string id, string model, string delta, string finishReason)
        => $$"""data: {"id":"{{id}}","object":"chat.completion.chunk","created":1700000000,"model":"{{model}}","choices":[{"index":0,"delta":{{delta}},"logprobs":null,"finish_reason":{{finishReason}}}]}""" + "\n\n";

    /// <summary>Reads the translation of <paramref name="upstream"/> to its end, <paramref name="readSize"/> bytes at a time.</summary>
    public static async Task<string> TranslateAsync(Stream upstream, int readSize = 4096)
    {
        await using var translator = new AnthropicStreamTranslator(upstream, Created);
        var output = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = await translator.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }
        return Encoding.UTF8.GetString(output.ToArray());
    }

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
