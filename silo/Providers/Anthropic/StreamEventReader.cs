using System.Text.Json;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Reads the fields the translation needs from the data of each Anthropic stream event, in one forward pass
/// whatever the order of the fields. Strings are returned as raw JSON tokens (quotes and escapes kept) sliced from the
/// data, ready to be copied into a chunk.</summary>
internal static class StreamEventReader
{
    public readonly ref struct MessageHeader(ReadOnlySpan<byte> escapedId, ReadOnlySpan<byte> model)
    {
        /// <summary>The message id's escaped string content (no quotes).</summary>
        public ReadOnlySpan<byte> EscapedId { get; } = escapedId;

        /// <summary>The model as a JSON string token, or empty.</summary>
        public ReadOnlySpan<byte> Model { get; } = model;
    }

    public readonly ref struct BlockDelta(int index, ReadOnlySpan<byte> text, ReadOnlySpan<byte> partialJson)
    {
        public int Index { get; } = index;

        /// <summary>A <c>text_delta</c>'s text as a JSON string token, or empty.</summary>
        public ReadOnlySpan<byte> Text { get; } = text;

        /// <summary>An <c>input_json_delta</c>'s fragment as a JSON string token, or empty.</summary>
        public ReadOnlySpan<byte> PartialJson { get; } = partialJson;
    }

    /// <summary><c>{"type":"message_start","message":{"id","model","usage",…}}</c>.</summary>
    public static MessageHeader ReadMessageStart(ReadOnlySpan<byte> data, ref AnthropicUsage usage)
    {
        Range id = default, model = default;
        var reader = Open(data);
        while (NextProperty(ref reader))
        {
            if (!reader.ValueTextEquals("message"u8))
            {
                SkipValue(ref reader);
                continue;
            }
            if (!ReadsObject(ref reader))
            {
                continue;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    id = AnthropicContentBlock.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("model"u8))
                {
                    model = AnthropicContentBlock.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    ReadUsage(ref reader, ref usage);
                }
                else
                {
                    SkipValue(ref reader);
                }
            }
        }
        return new MessageHeader(AnthropicContentBlock.IsPresent(id) ? data[id][1..^1] : default, AnthropicContentBlock.IsPresent(model) ? data[model] : default);
    }

    /// <summary><c>{"type":"content_block_start","index","content_block":{…}}</c>; block ranges index into the data.</summary>
    public static (int Index, AnthropicContentBlock Block) ReadBlockStart(ReadOnlySpan<byte> data)
    {
        var index = -1;
        AnthropicContentBlock block = default;
        var reader = Open(data);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("index"u8))
            {
                index = ReadIndex(ref reader);
            }
            else if (reader.ValueTextEquals("content_block"u8))
            {
                block = ReadsObject(ref reader) ? AnthropicContentBlock.Read(ref reader) : default;
            }
            else
            {
                SkipValue(ref reader);
            }
        }
        return (index, block);
    }

    /// <summary><c>{"type":"content_block_delta","index","delta":{"type","text"|"partial_json"|…}}</c>. Only text and
    /// input JSON deltas are returned; thinking, signature and citation deltas have no OpenAI counterpart.</summary>
    public static BlockDelta ReadBlockDelta(ReadOnlySpan<byte> data)
    {
        var index = -1;
        Range text = default, partialJson = default;
        var reader = Open(data);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("index"u8))
            {
                index = ReadIndex(ref reader);
            }
            else if (reader.ValueTextEquals("delta"u8))
            {
                if (!ReadsObject(ref reader))
                {
                    continue;
                }
                var kind = DeltaKind.Other;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("type"u8))
                    {
                        reader.Read();
                        kind = reader.TokenType != JsonTokenType.String ? DeltaKind.Other
                            : reader.ValueTextEquals("text_delta"u8) ? DeltaKind.Text
                            : reader.ValueTextEquals("input_json_delta"u8) ? DeltaKind.InputJson
                            : DeltaKind.Other;
                    }
                    else if (reader.ValueTextEquals("text"u8))
                    {
                        text = AnthropicContentBlock.ReadString(ref reader);
                    }
                    else if (reader.ValueTextEquals("partial_json"u8))
                    {
                        partialJson = AnthropicContentBlock.ReadString(ref reader);
                    }
                    else
                    {
                        SkipValue(ref reader);
                    }
                }
                text = kind == DeltaKind.Text ? text : default;
                partialJson = kind == DeltaKind.InputJson ? partialJson : default;
            }
            else
            {
                SkipValue(ref reader);
            }
        }
        return new BlockDelta(index, AnthropicContentBlock.IsPresent(text) ? data[text] : default,
            AnthropicContentBlock.IsPresent(partialJson) ? data[partialJson] : default);
    }

    /// <summary><c>{"type":"content_block_stop","index"}</c>.</summary>
    public static int ReadBlockIndex(ReadOnlySpan<byte> data)
    {
        var index = -1;
        var reader = Open(data);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("index"u8))
            {
                index = ReadIndex(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }
        return index;
    }

    /// <summary><c>{"type":"message_delta","delta":{"stop_reason",…},"usage":{…}}</c>: updates the usage and returns
    /// the stop reason's escaped content, or empty when it is null or absent.</summary>
    public static ReadOnlySpan<byte> ReadMessageDelta(ReadOnlySpan<byte> data, ref AnthropicUsage usage)
    {
        Range stopReason = default;
        var reader = Open(data);
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("delta"u8))
            {
                if (!ReadsObject(ref reader))
                {
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("stop_reason"u8))
                    {
                        stopReason = AnthropicContentBlock.ReadString(ref reader);
                    }
                    else
                    {
                        SkipValue(ref reader);
                    }
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                ReadUsage(ref reader, ref usage);
            }
            else
            {
                SkipValue(ref reader);
            }
        }
        return AnthropicContentBlock.IsPresent(stopReason) ? data[stopReason][1..^1] : default;
    }

    private static Utf8JsonReader Open(ReadOnlySpan<byte> data)
    {
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("An event's data is not a JSON object.");
        }
        return reader;
    }

    /// <summary>Moves to the next top-level property name; false at the end of the event's object.</summary>
    private static bool NextProperty(ref Utf8JsonReader reader)
        => reader.Read() && reader.TokenType == JsonTokenType.PropertyName;

    /// <summary>Reads the value after a property name; true if it is an object (the reader on its StartObject),
    /// otherwise skips it.</summary>
    private static bool ReadsObject(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            return true;
        }
        reader.Skip();
        return false;
    }

    private static void ReadUsage(ref Utf8JsonReader reader, ref AnthropicUsage usage)
    {
        if (ReadsObject(ref reader))
        {
            usage.Read(ref reader);
        }
    }

    private static void SkipValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }

    private static int ReadIndex(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var index) ? index : -1;
    }

    private enum DeltaKind
    {
        Other,
        Text,
        InputJson,
    }
}
