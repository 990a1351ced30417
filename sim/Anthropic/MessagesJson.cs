using System.Text.Json;

namespace Parley.Sim.Anthropic;

/// <summary>Writes Anthropic's message object and the data of its stream events straight into the response with
/// pre-encoded property names.</summary>
internal static class MessagesJson
{
    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText Role = JsonEncodedText.Encode("role");
    private static readonly JsonEncodedText Model = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText Content = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText Text = JsonEncodedText.Encode("text");
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText Input = JsonEncodedText.Encode("input");
    private static readonly JsonEncodedText Caller = JsonEncodedText.Encode("caller");
    private static readonly JsonEncodedText DirectType = JsonEncodedText.Encode("direct");
    private static readonly JsonEncodedText Index = JsonEncodedText.Encode("index");
    private static readonly JsonEncodedText Delta = JsonEncodedText.Encode("delta");
    private static readonly JsonEncodedText Message = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText ContentBlock = JsonEncodedText.Encode("content_block");
    private static readonly JsonEncodedText PartialJson = JsonEncodedText.Encode("partial_json");
    private static readonly JsonEncodedText StopReason = JsonEncodedText.Encode("stop_reason");
    private static readonly JsonEncodedText StopSequence = JsonEncodedText.Encode("stop_sequence");
    private static readonly JsonEncodedText Usage = JsonEncodedText.Encode("usage");
    private static readonly JsonEncodedText InputTokens = JsonEncodedText.Encode("input_tokens");
    private static readonly JsonEncodedText CacheCreationInputTokens = JsonEncodedText.Encode("cache_creation_input_tokens");
    private static readonly JsonEncodedText CacheReadInputTokens = JsonEncodedText.Encode("cache_read_input_tokens");
    private static readonly JsonEncodedText OutputTokens = JsonEncodedText.Encode("output_tokens");
    private static readonly JsonEncodedText ServiceTier = JsonEncodedText.Encode("service_tier");
    private static readonly JsonEncodedText MessageType = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText Assistant = JsonEncodedText.Encode("assistant");
    private static readonly JsonEncodedText TextType = JsonEncodedText.Encode("text");
    private static readonly JsonEncodedText ToolUseType = JsonEncodedText.Encode("tool_use");
    private static readonly JsonEncodedText TextDeltaType = JsonEncodedText.Encode("text_delta");
    private static readonly JsonEncodedText InputJsonDeltaType = JsonEncodedText.Encode("input_json_delta");
    private static readonly JsonEncodedText StandardTier = JsonEncodedText.Encode("standard");

    /// <summary>The whole non-streaming answer.</summary>
    public static void WriteMessage(Utf8JsonWriter w, string id, string model, MessagesAnswer answer, int inputTokens)
    {
        WriteMessageHead(w, id, model);
        w.WriteStartArray(Content);
        w.WriteStartObject();
        w.WriteString(Type, TextType);
        w.WriteString(Text, answer.Text.Text);
        w.WriteEndObject();
        if (answer.Tool is { } tool)
        {
            w.WriteStartObject();
            w.WriteString(Type, ToolUseType);
            w.WriteString(Id, tool.Id);
            w.WriteString(Name, tool.Name);
            w.WritePropertyName(Input);
            w.WriteRawValue(tool.InputJson, skipInputValidation: true);
            WriteDirectCaller(w);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteStop(w, answer.StopReason, answer.StopSequence);
        WriteUsage(w, inputTokens, answer.OutputTokens);
        w.WriteEndObject();
    }

    /// <summary>message_start: the message with no content yet, the input tokens and one output token.</summary>
    public static void WriteMessageStart(Utf8JsonWriter w, string id, string model, int inputTokens)
    {
        w.WriteStartObject();
        w.WriteString(Type, "message_start"u8);
        w.WritePropertyName(Message);
        WriteMessageHead(w, id, model);
        w.WriteStartArray(Content);
        w.WriteEndArray();
        WriteStop(w, null, null);
        WriteUsage(w, inputTokens, 1);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteTextBlockStart(Utf8JsonWriter w, int index)
    {
        WriteEventStart(w, "content_block_start"u8, index);
        w.WriteStartObject(ContentBlock);
        w.WriteString(Type, TextType);
        w.WriteString(Text, ReadOnlySpan<char>.Empty);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteToolUseBlockStart(Utf8JsonWriter w, int index, ToolCall tool)
    {
        WriteEventStart(w, "content_block_start"u8, index);
        w.WriteStartObject(ContentBlock);
        w.WriteString(Type, ToolUseType);
        w.WriteString(Id, tool.Id);
        w.WriteString(Name, tool.Name);
        w.WriteStartObject(Input);
        w.WriteEndObject();
        WriteDirectCaller(w);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WritePing(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString(Type, "ping"u8);
        w.WriteEndObject();
    }

    public static void WriteTextDelta(Utf8JsonWriter w, int index, ReadOnlySpan<char> text)
    {
        WriteEventStart(w, "content_block_delta"u8, index);
        w.WriteStartObject(Delta);
        w.WriteString(Type, TextDeltaType);
        w.WriteString(Text, text);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteInputJsonDelta(Utf8JsonWriter w, int index, ReadOnlySpan<char> partialJson)
    {
        WriteEventStart(w, "content_block_delta"u8, index);
        w.WriteStartObject(Delta);
        w.WriteString(Type, InputJsonDeltaType);
        w.WriteString(PartialJson, partialJson);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteBlockStop(Utf8JsonWriter w, int index)
    {
        WriteEventStart(w, "content_block_stop"u8, index);
        w.WriteEndObject();
    }

    /// <summary>message_delta: the stop reason and the output tokens of the whole answer.</summary>
    public static void WriteMessageDelta(Utf8JsonWriter w, string stopReason, string? stopSequence, int outputTokens)
    {
        w.WriteStartObject();
        w.WriteString(Type, "message_delta"u8);
        w.WriteStartObject(Delta);
        WriteStop(w, stopReason, stopSequence);
        w.WriteEndObject();
        w.WriteStartObject(Usage);
        w.WriteNumber(OutputTokens, outputTokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteMessageStop(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString(Type, "message_stop"u8);
        w.WriteEndObject();
    }

    // The model itself made the call (not a server tool on its behalf).
    private static void WriteDirectCaller(Utf8JsonWriter w)
    {
        w.WriteStartObject(Caller);
        w.WriteString(Type, DirectType);
        w.WriteEndObject();
    }

    private static void WriteMessageHead(Utf8JsonWriter w, string id, string model)
    {
        w.WriteStartObject();
        w.WriteString(Id, id);
        w.WriteString(Type, MessageType);
        w.WriteString(Role, Assistant);
        w.WriteString(Model, model);
    }

    private static void WriteEventStart(Utf8JsonWriter w, ReadOnlySpan<byte> type, int index)
    {
        w.WriteStartObject();
        w.WriteString(Type, type);
        w.WriteNumber(Index, index);
    }

    private static void WriteStop(Utf8JsonWriter w, string? stopReason, string? stopSequence)
    {
        if (stopReason is null)
        {
            w.WriteNull(StopReason);
        }
        else
        {
            w.WriteString(StopReason, stopReason);
        }
        if (stopSequence is null)
        {
            w.WriteNull(StopSequence);
        }
        else
        {
            w.WriteString(StopSequence, stopSequence);
        }
    }

    private static void WriteUsage(Utf8JsonWriter w, int inputTokens, int outputTokens)
    {
        w.WriteStartObject(Usage);
        w.WriteNumber(InputTokens, inputTokens);
        w.WriteNumber(CacheCreationInputTokens, 0);
        w.WriteNumber(CacheReadInputTokens, 0);
        w.WriteNumber(OutputTokens, outputTokens);
        w.WriteString(ServiceTier, StandardTier);
        w.WriteEndObject();
    }
}
