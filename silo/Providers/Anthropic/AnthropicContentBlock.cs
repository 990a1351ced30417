using System.Text.Json;

namespace Parley.Silo.Providers.Anthropic;

internal enum ContentBlockKind
{
    /// <summary>Thinking, redacted thinking, server tool blocks and anything newer: not part of an OpenAI answer.</summary>
    Other,
    Text,
    ToolUse,
}

/// <summary>One Anthropic content block located in the JSON it was read from: each part is the range of its raw JSON
/// (a string with its quotes and escapes), so it can be copied without being decoded. Empty ranges are absent parts.</summary>
internal readonly record struct AnthropicContentBlock(ContentBlockKind Kind, Range Text, Range Id, Range Name, Range Input)
{
    /// <summary>Reads the block whose StartObject the reader is on, leaving it on the block's EndObject. Ranges are
    /// offsets into the reader's input.</summary>
    public static AnthropicContentBlock Read(ref Utf8JsonReader reader)
    {
        var kind = ContentBlockKind.Other;
        Range text = default, id = default, name = default, input = default;
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                kind = reader.TokenType != JsonTokenType.String ? ContentBlockKind.Other
                    : reader.ValueTextEquals("text"u8) ? ContentBlockKind.Text
                    : reader.ValueTextEquals("tool_use"u8) ? ContentBlockKind.ToolUse
                    : ContentBlockKind.Other;
            }
            else if (reader.ValueTextEquals("text"u8))
            {
                text = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                id = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                name = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                input = reader.TokenType == JsonTokenType.EndObject ? new Range(start, (int)reader.BytesConsumed) : default;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return new AnthropicContentBlock(kind, text, id, name, input);
    }

    /// <summary>Reads the value after a property name: the range of a string token with its quotes, or empty.</summary>
    public static Range ReadString(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return default;
        }
        var start = (int)reader.TokenStartIndex;
        return new Range(start, start + reader.ValueSpan.Length + 2);
    }

    public static bool IsPresent(Range range) => !range.Start.Equals(range.End);
}
