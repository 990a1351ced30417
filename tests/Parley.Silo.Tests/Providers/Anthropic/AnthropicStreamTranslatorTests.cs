using System.Buffers;
using System.Text;
using Parley.Silo.Chat;
using Parley.Silo.Providers.Anthropic;
using Xunit;
using static Parley.Silo.Tests.Providers.Anthropic.AnthropicStreams;

namespace Parley.Silo.Tests.Providers.Anthropic;

/// <summary>Anthropic's SSE stream read as OpenAI's chunk stream, however the network splits it.</summary>
public sealed class AnthropicStreamTranslatorTests
{
    [Fact]
    public async Task A_text_stream_read_in_one_piece()
    {
        Assert.Equal(TextTranslated, await TranslateAsync(new MemoryStream(Bytes(Text))));
    }

    [Fact]
    public async Task A_text_stream_arriving_one_byte_at_a_time_and_read_seven_bytes_at_a_time()
    {
        Assert.Equal(TextTranslated, await TranslateAsync(ChunkedStream.ByteByByte(Bytes(Text)), readSize: 7));
    }

    [Fact]
    public async Task A_text_stream_split_in_two_at_every_byte()
    {
        var bytes = Bytes(Text);
        for (var split = 1; split < bytes.Length; split++)
        {
            Assert.Equal(TextTranslated, await TranslateAsync(ChunkedStream.SplitAt(bytes, split)));
        }
    }

    [Fact]
    public async Task A_tool_use_stream_arriving_one_byte_at_a_time()
    {
        Assert.Equal(ToolsTranslated, await TranslateAsync(ChunkedStream.ByteByByte(Bytes(Tools))));
        Assert.Equal(ToolsTranslated, await TranslateAsync(new MemoryStream(Bytes(Tools))));
    }

    [Fact]
    public async Task Crlf_line_ends_and_blank_lines_between_events_change_nothing()
    {
        var crlf = Text.Replace("\n", "\r\n");
        Assert.Equal(TextTranslated, await TranslateAsync(ChunkedStream.ByteByByte(Bytes(crlf))));
        Assert.Equal(TextTranslated, await TranslateAsync(new MemoryStream(Bytes("\n\r\n" + Text.Replace("\n\n", "\n\n\n")))));
    }

    [Fact]
    public async Task An_error_event_ends_the_stream_with_OpenAIs_error_object_and_no_done()
    {
        var stream = Text[..Text.IndexOf("event: content_block_delta", Text.IndexOf("Hello", StringComparison.Ordinal), StringComparison.Ordinal)]
            + Sse(("error", """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"""))
            + Sse(("message_stop", """{"type":"message_stop"}"""));

        var expected = TextRole + TextHello
            + """data: {"error":{"message":"The upstream provider 'Anthropic' failed (overloaded_error during the stream): Overloaded","type":"upstream_error","param":null,"code":"upstream_overloaded"}}""" + "\n\n";
        Assert.Equal(expected, await TranslateAsync(ChunkedStream.ByteByByte(Bytes(stream))));
    }

    [Fact]
    public async Task A_rate_limit_error_event_keeps_its_message()
    {
        var stream = Sse(("error", """{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}"""));

        Assert.Equal("""data: {"error":{"message":"Slow down","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}""" + "\n\n",
            await TranslateAsync(new MemoryStream(Bytes(stream))));
    }

    [Theory]
    [InlineData("\"text\":\"!", 2)]
    [InlineData("event: message_delta", 3)]
    [InlineData("event: message_stop", 4)]
    [InlineData("data: {\"type\":\"message_stop", 4)]
    public async Task An_upstream_that_ends_early_yields_the_chunks_so_far_and_no_done(string cutBefore, int chunks)
    {
        var cut = Text[..Text.IndexOf(cutBefore, StringComparison.Ordinal)];
        string[] all = [TextRole, TextHello, TextRest, TextFinish];

        Assert.Equal(string.Concat(all.Take(chunks)), await TranslateAsync(ChunkedStream.ByteByByte(Bytes(cut))));
    }

    [Fact]
    public async Task A_last_event_without_its_blank_line_still_counts()
    {
        Assert.Equal(TextTranslated, await TranslateAsync(new MemoryStream(Bytes(Text.TrimEnd('\n')))));
    }

    [Fact]
    public async Task An_upstream_failure_propagates_after_the_chunks_already_translated()
    {
        var cut = Bytes(Text[..Text.IndexOf("event: message_delta", StringComparison.Ordinal)]);
        await using var translator = new AnthropicStreamTranslator(ChunkedStream.ByteByByte(cut, new IOException("connection reset")), Created);
        var output = new MemoryStream();
        var buffer = new byte[64];

        var failure = await Assert.ThrowsAsync<IOException>(async () =>
        {
            int read;
            while ((read = await translator.ReadAsync(buffer)) > 0)
            {
                output.Write(buffer, 0, read);
            }
        });

        Assert.Equal("connection reset", failure.Message);
        Assert.Equal(TextRole + TextHello + TextRest, Encoding.UTF8.GetString(output.ToArray()));
    }

    [Fact]
    public async Task Events_before_message_start_malformed_events_and_unknown_events_are_passed_over()
    {
        var start = Text.IndexOf("event: content_block_start", StringComparison.Ordinal);
        var stream = Sse(("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"early"}}"""))
            + ": a comment\n\n"
            + Text[..start]
            + Sse(("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_del"""),
                ("future_event", """{"type":"future_event","index":0}"""),
                ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location"}}}"""),
                ("content_block_delta", """{"index":0,"delta":{"text":"untyped","type":"text_delta"},"type":"content_block_delta"}"""))
            + "data: {\"type\":\"content_block_delta\",\"index\":0,\n"
            + "data: \"delta\":{\"type\":\"text_delta\",\"text\":\" joined\"}}\n\n"
            + Text[start..];

        var expected = TextRole + TextChunk("""{"content":"untyped"}""") + TextChunk("""{"content":" joined"}""") + TextHello + TextRest + TextFinish + TextUsage + Done;
        Assert.Equal(expected, await TranslateAsync(ChunkedStream.ByteByByte(Bytes(stream))));
    }

    [Fact]
    public async Task A_message_without_message_start_is_a_broken_stream()
    {
        var withoutStart = Text[Text.IndexOf("event: content_block_start", StringComparison.Ordinal)..];

        Assert.Equal("", await TranslateAsync(new MemoryStream(Bytes(withoutStart))));
    }

    [Fact]
    public async Task Nothing_after_message_stop_is_read_and_disposing_disposes_the_upstream()
    {
        var upstream = new ChunkedStream(Bytes(Text + Sse(("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"late"}}"""))), _ => 4096);

        Assert.Equal(TextTranslated, await TranslateAsync(upstream));
        Assert.True(upstream.Disposed);
    }

    [Fact]
    public void Reading_synchronously_is_not_supported()
    {
        using var translator = new AnthropicStreamTranslator(new MemoryStream(), Created);

        Assert.Throws<NotSupportedException>(() => translator.Read(new byte[10], 0, 10));
        Assert.True(translator.CanRead);
        Assert.False(translator.CanSeek);
        Assert.False(translator.CanWrite);
    }

    [Fact]
    public async Task The_relay_classifies_the_chunks_counts_the_usage_and_rebuilds_the_assistant_message()
    {
        var translated = await TranslateAsync(ChunkedStream.ByteByByte(Bytes(Tools)), readSize: 13);
        var kinds = new List<StreamEventKind>();
        ChatUsage? usage = null;
        var builder = new AssistantMessageBuilder();
        foreach (var sseEvent in translated.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var sequence = new ReadOnlySequence<byte>(Bytes(sseEvent));
            var kind = StreamEventInspector.Inspect(sequence, ref usage);
            kinds.Add(kind);
            if (kind == StreamEventKind.Chunk && StreamEventInspector.TryGetData(sequence, out var data))
            {
                builder.AddChunk(data);
            }
        }

        Assert.Equal([.. Enumerable.Repeat(StreamEventKind.Chunk, 8), StreamEventKind.UsageOnly, StreamEventKind.Done], kinds);
        Assert.Equal(new ChatUsage(150, 60, 210), usage);
        var message = builder.Build();
        Assert.Equal("assistant", message.Role);
        Assert.Equal("""{"role":"assistant","content":"Let me check.","tool_calls":[{"id":"toolu_A","type":"function","function":{"name":"get_weather","arguments":"{\u0022city\u0022: \u0022Oslo\u0022}"}},{"id":"toolu_B","type":"function","function":{"name":"get_time","arguments":"{}"}}]}""",
            Encoding.UTF8.GetString(message.Utf8Json.Span));
    }
}
