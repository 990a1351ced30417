using System.Buffers;
using System.Text.Json;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Translates Anthropic's answers into OpenAI's: a non-streamed message into a <c>chat.completion</c>
/// (here) and an error body into Parley's error answer (<see cref="ReadError"/>).</summary>
/// <remarks>
/// <para>Message → completion: <c>id</c> → <c>"chatcmpl-" + id</c>; <c>model</c> → <c>model</c>; text blocks →
/// <c>message.content</c>, concatenated (null when there is none); <c>tool_use</c> blocks → <c>message.tool_calls</c>
/// (<c>arguments</c> is <c>input</c> as compact JSON text); thinking, redacted thinking and server tool blocks are
/// dropped; <c>stop_reason</c> → <c>finish_reason</c> (see <see cref="AnthropicStopReasons"/>); <c>usage</c> →
/// <c>prompt_tokens</c> = input + cache creation + cache read tokens, <c>completion_tokens</c> = output tokens.</para>
/// </remarks>
internal static partial class AnthropicResponseTranslator
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    // OpenAI's completion ids start with "chatcmpl-"; the quote opens the JSON string.
    private static ReadOnlySpan<byte> CompletionIdPrefix => "\"chatcmpl-"u8;

    /// <summary>Writes the <c>chat.completion</c> for <paramref name="anthropicMessage"/>; <paramref name="created"/> is
    /// its Unix time in seconds (Anthropic gives none). Returns false, having written nothing, when the body is not an
    /// Anthropic message (not JSON, not <c>"type":"message"</c>, or without <c>id</c> or <c>content</c>): the caller
    /// answers 502.</summary>
    public static bool WriteChatCompletion(ReadOnlySpan<byte> anthropicMessage, IBufferWriter<byte> output, long created)
    {
        if (!MessageOutline.TryRead(anthropicMessage, out var outline))
        {
            return false;
        }
        var content = anthropicMessage[outline.Content];
        var writer = t_writer ??= new Utf8JsonWriter(Stream.Null, JsonText.WriterOptions);
        writer.Reset(output);
        try
        {
            writer.WriteStartObject();
            writer.WritePropertyName("id"u8);
            WriteCompletionId(writer, anthropicMessage[outline.Id][1..^1]);
            writer.WriteString("object"u8, "chat.completion"u8);
            writer.WriteNumber("created"u8, created);
            writer.WritePropertyName("model"u8);
            writer.WriteRawValue(AnthropicContentBlock.IsPresent(outline.Model) ? anthropicMessage[outline.Model] : "\"\""u8, skipInputValidation: true);
            writer.WriteStartArray("choices"u8);
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, 0);
            writer.WriteStartObject("message"u8);
            writer.WriteString("role"u8, "assistant"u8);
            writer.WritePropertyName("content"u8);
            WriteText(writer, content);
            WriteToolCalls(writer, content);
            writer.WriteNull("refusal"u8);
            writer.WriteEndObject();
            writer.WriteNull("logprobs"u8);
            if (AnthropicContentBlock.IsPresent(outline.StopReason))
            {
                writer.WriteString("finish_reason"u8, AnthropicStopReasons.ToFinishReason(anthropicMessage[outline.StopReason][1..^1]));
            }
            else
            {
                writer.WriteNull("finish_reason"u8);
            }
            writer.WriteEndObject();
            writer.WriteEndArray();
            outline.Usage.Write(writer);
            writer.WriteEndObject();
            writer.Flush();
            return true;
        }
        finally
        {
            writer.Reset(Stream.Null);
        }
    }

    /// <summary>Writes <c>"chatcmpl-" + id</c> as a JSON string, from the id's escaped content as received.</summary>
    internal static void WriteCompletionId(Utf8JsonWriter writer, ReadOnlySpan<byte> escapedId)
    {
        var rented = ArrayPool<byte>.Shared.Rent(CompletionIdLength(escapedId));
        try
        {
            var length = BuildCompletionId(escapedId, rented);
            writer.WriteRawValue(rented.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static int CompletionIdLength(ReadOnlySpan<byte> escapedId) => CompletionIdPrefix.Length + escapedId.Length + 1;

    /// <summary>Fills <paramref name="destination"/> with the quoted <c>"chatcmpl-&lt;id&gt;"</c> JSON string.</summary>
    internal static int BuildCompletionId(ReadOnlySpan<byte> escapedId, Span<byte> destination)
    {
        CompletionIdPrefix.CopyTo(destination);
        escapedId.CopyTo(destination[CompletionIdPrefix.Length..]);
        destination[CompletionIdPrefix.Length + escapedId.Length] = (byte)'"';
        return CompletionIdLength(escapedId);
    }

    /// <summary>Writes the text blocks as one string. Escaped JSON string contents concatenate into the escaped form
    /// of the concatenated text, so the blocks are joined without being decoded.</summary>
    private static void WriteText(Utf8JsonWriter writer, ReadOnlySpan<byte> content)
    {
        var length = 0;
        var blocks = 0;
        var reader = new Utf8JsonReader(content);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var block = AnthropicContentBlock.Read(ref reader);
            if (block.Kind == ContentBlockKind.Text && AnthropicContentBlock.IsPresent(block.Text))
            {
                length += content[block.Text].Length - 2;
                blocks++;
            }
        }
        if (blocks == 0)
        {
            writer.WriteNullValue();
            return;
        }
        var rented = ArrayPool<byte>.Shared.Rent(length + 2);
        try
        {
            var written = 0;
            rented[written++] = (byte)'"';
            reader = new Utf8JsonReader(content);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                var block = AnthropicContentBlock.Read(ref reader);
                if (block.Kind == ContentBlockKind.Text && AnthropicContentBlock.IsPresent(block.Text))
                {
                    var text = content[block.Text][1..^1];
                    text.CopyTo(rented.AsSpan(written));
                    written += text.Length;
                }
            }
            rented[written++] = (byte)'"';
            writer.WriteRawValue(rented.AsSpan(0, written), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void WriteToolCalls(Utf8JsonWriter writer, ReadOnlySpan<byte> content)
    {
        var started = false;
        var reader = new Utf8JsonReader(content);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var block = AnthropicContentBlock.Read(ref reader);
            if (block.Kind != ContentBlockKind.ToolUse)
            {
                continue;
            }
            if (!started)
            {
                writer.WriteStartArray("tool_calls"u8);
                started = true;
            }
            writer.WriteStartObject();
            writer.WritePropertyName("id"u8);
            writer.WriteRawValue(AnthropicContentBlock.IsPresent(block.Id) ? content[block.Id] : "\"\""u8, skipInputValidation: true);
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(AnthropicContentBlock.IsPresent(block.Name) ? content[block.Name] : "\"\""u8, skipInputValidation: true);
            WriteArguments(writer, AnthropicContentBlock.IsPresent(block.Input) ? content[block.Input] : "{}"u8);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        if (started)
        {
            writer.WriteEndArray();
        }
    }

    private static void WriteArguments(Utf8JsonWriter writer, ReadOnlySpan<byte> input)
    {
        var rented = ArrayPool<byte>.Shared.Rent(input.Length);
        try
        {
            var length = JsonText.CopyCompact(input, rented);
            writer.WriteString("arguments"u8, rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
