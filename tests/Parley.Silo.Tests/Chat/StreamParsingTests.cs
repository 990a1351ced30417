using System.Buffers;
using System.Text;
using System.Text.Json;
using Parley.Silo.Chat;
using Xunit;

namespace Parley.Silo.Tests.Chat;

/// <summary>The allocation-free readers of the relay, fed the awkward inputs a network delivers.</summary>
public sealed class StreamParsingTests
{
    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData("data: [DONE]", "Done")]
    [InlineData("data:[DONE]\r", "Done")]
    [InlineData(": keep-alive", "Other")]
    [InlineData("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],\"usage\":null}", "Chunk")]
    [InlineData("data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5,\"total_tokens\":8}}", "UsageOnly")]
    [InlineData("event: error\ndata: {\"error\":{\"message\":\"boom\"}}", "Chunk")]
    [InlineData("data: {\"a\":1}\ndata: {\"b\":2}", "Other")]
    [InlineData("data: {not json", "Other")]
    public void Events_are_classified(string sseEvent, string expected)
    {
        ChatUsage? usage = null;
        Assert.Equal(expected, StreamEventInspector.Inspect(Bytes(sseEvent), ref usage).ToString());
    }

    [Fact]
    public void Usage_is_captured_from_the_usage_chunk_ignoring_nested_details()
    {
        ChatUsage? usage = null;
        var chunk = """data: {"choices":[],"usage":{"prompt_tokens":3,"prompt_tokens_details":{"cached_tokens":99},"completion_tokens":5,"total_tokens":8}}""";

        StreamEventInspector.Inspect(Bytes(chunk), ref usage);

        Assert.Equal(new ChatUsage(3, 5, 8), usage);
    }

    [Fact]
    public void Usage_scanner_finds_usage_when_fed_one_byte_at_a_time()
    {
        var body = Encoding.UTF8.GetBytes("""{"id":"x","choices":[{"message":{"content":"usage: {\"prompt_tokens\": 1}","usage":{"prompt_tokens":77}}}],"usage":{"prompt_tokens":12,"completion_tokens_details":{"total_tokens":1000},"completion_tokens":30,"total_tokens":42},"tail":[1,2]}""");
        var scanner = new IncrementalUsageScanner();
        var pending = new List<byte>();
        for (var i = 0; i < body.Length; i++)
        {
            pending.Add(body[i]);
            var consumed = scanner.Feed(new ReadOnlySequence<byte>(pending.ToArray()), isFinalBlock: i == body.Length - 1);
            pending.RemoveRange(0, (int)consumed);
        }

        Assert.Equal(new ChatUsage(12, 30, 42), scanner.Usage);
    }

    [Fact]
    public void Usage_scanner_reports_nothing_for_a_body_without_usage_or_not_json()
    {
        var withoutUsage = new IncrementalUsageScanner();
        withoutUsage.Feed(Bytes("""{"choices":[]}"""), isFinalBlock: true);
        var notJson = new IncrementalUsageScanner();
        notJson.Feed(Bytes("<html>"), isFinalBlock: true);

        Assert.Null(withoutUsage.Usage);
        Assert.Null(notJson.Usage);
    }

    [Fact]
    public void Streamed_deltas_are_rebuilt_into_the_assistant_message_with_tool_calls()
    {
        var builder = new AssistantMessageBuilder();
        foreach (var chunk in new[]
        {
            """{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_","arguments":""}}]}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"name":"weather","arguments":"{\"city\":"}}]}}]}""",
            """{"choices":[{"index":1,"delta":{"content":"other choice"}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]}}]}""",
            """{"choices":[],"usage":{"prompt_tokens":1}}""",
        })
        {
            builder.AddChunk(Bytes(chunk));
        }

        var message = builder.Build();

        Assert.Equal("assistant", message.Role);
        Assert.Equal("""{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\u0022city\u0022:\u0022Oslo\u0022}"}}]}""", message.Json);
        using var parsed = JsonDocument.Parse(message.Json);
        Assert.Equal("{\"city\":\"Oslo\"}", parsed.RootElement.GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
    }

    [Fact]
    public void Streamed_text_deltas_are_concatenated()
    {
        var builder = new AssistantMessageBuilder();
        builder.AddChunk(Bytes("""{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"""));
        builder.AddChunk(Bytes("""{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"""));
        builder.AddChunk(Bytes("""{"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"""));

        Assert.Equal("""{"role":"assistant","content":"Hello"}""", builder.Build().Json);
    }
}
