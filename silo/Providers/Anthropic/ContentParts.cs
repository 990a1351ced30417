using System.Text.Json;
using Parley.Silo.Api;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Translates the content parts and tool exchanges inside OpenAI messages into Anthropic content blocks.</summary>
internal static class ContentParts
{
    private static ReadOnlySpan<byte> EmptyToolInput => "{}"u8;

    /// <summary>Reads a part that must be text (or, with <paramref name="allowRefusal"/>, a refusal) and returns its
    /// string element.</summary>
    public static ApiError? TryReadText(JsonElement part, MessagePath path, int index, string where, out JsonElement text, bool allowRefusal = false)
    {
        text = default;
        var error = TryReadType(part, path, index, out var type);
        if (error is not null)
        {
            return error;
        }
        ReadOnlySpan<byte> field = type.ValueEquals("text"u8) ? "text"u8
            : allowRefusal && type.ValueEquals("refusal"u8) ? "refusal"u8
            : default;
        if (field.IsEmpty)
        {
            return RequestErrors.UnsupportedValue(path.Part(index, ".type"),
                $"Content parts of type '{type.GetString()}' are not supported in {where} for Anthropic models (at '{path.Part(index)}').");
        }
        return TryReadString(part, field, path, index, out text);
    }

    /// <summary>One part of a user message: text, or an image by data URL or by http(s) URL.</summary>
    public static ApiError? WriteUserPart(ref AnthropicTurns turns, JsonElement part, MessagePath path, int index)
    {
        var error = TryReadType(part, path, index, out var type);
        if (error is not null)
        {
            return error;
        }
        if (type.ValueEquals("text"u8))
        {
            error = TryReadString(part, "text"u8, path, index, out var text);
            if (error is null)
            {
                turns.WriteText(MessageRole.User, text);
            }
            return error;
        }
        if (type.ValueEquals("image_url"u8))
        {
            return ImageParts.Write(ref turns, part, path, index);
        }
        return RequestErrors.UnsupportedPart(path.Part(index), type.GetString()!);
    }

    /// <summary>An OpenAI tool call as a <c>tool_use</c> block; the <c>arguments</c> text must hold a JSON object,
    /// which becomes <c>input</c> as it was written. Empty arguments (some clients send <c>""</c> for a call without
    /// parameters) become <c>{}</c>.</summary>
    public static ApiError? WriteToolUse(ref AnthropicTurns turns, JsonElement call, MessagePath path, int index)
    {
        var param = new ToolCallPath(path, index);
        if (call.ValueKind != JsonValueKind.Object)
        {
            return InputErrors.WrongType(param.Name, "an object", call.ValueKind);
        }
        if (call.TryGetProperty("type"u8, out var type) && type.ValueKind != JsonValueKind.Null && !type.ValueEquals("function"u8))
        {
            return RequestErrors.UnsupportedValue(param + ".type", $"Tool calls of type '{type}' are not supported for Anthropic models; only 'function'.");
        }
        if (!call.TryGetProperty("id"u8, out var id) || id.ValueKind != JsonValueKind.String)
        {
            return id.ValueKind == JsonValueKind.Undefined ? InputErrors.Missing(param + ".id") : InputErrors.WrongType(param + ".id", "a string", id.ValueKind);
        }
        if (!call.TryGetProperty("function"u8, out var function) || function.ValueKind != JsonValueKind.Object)
        {
            return function.ValueKind == JsonValueKind.Undefined ? InputErrors.Missing(param + ".function") : InputErrors.WrongType(param + ".function", "an object", function.ValueKind);
        }
        if (!function.TryGetProperty("name"u8, out var name) || name.ValueKind != JsonValueKind.String)
        {
            return name.ValueKind == JsonValueKind.Undefined ? InputErrors.Missing(param + ".function.name") : InputErrors.WrongType(param + ".function.name", "a string", name.ValueKind);
        }
        function.TryGetProperty("arguments"u8, out var arguments);
        if (arguments.ValueKind is not (JsonValueKind.String or JsonValueKind.Undefined or JsonValueKind.Null))
        {
            return InputErrors.WrongType(param + ".function.arguments", "a string", arguments.ValueKind);
        }
        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> input = default;
            var problem = "they are not text (a lone surrogate escape)";
            var readable = arguments.ValueKind != JsonValueKind.String || JsonText.TryGetUtf8Content(arguments, ref rented, out input);
            // Whitespace around the object is the client's formatting, not part of the input.
            input = input.Trim(" \t\r\n"u8);
            if (readable && input.IsEmpty)
            {
                input = EmptyToolInput;
            }
            else if (!readable || !IsJsonObject(input, out problem))
            {
                return InputErrors.InvalidValue(param + ".function.arguments",
                    $"Invalid '{param.Name}.function.arguments': Anthropic models need the arguments of a tool call as a JSON object, but {problem}.");
            }
            turns.StartBlock(MessageRole.Assistant);
            var writer = turns.Writer;
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_use"u8);
            writer.WritePropertyName("id"u8);
            writer.WriteRawValue(JsonText.Raw(id), skipInputValidation: true);
            writer.WritePropertyName("name"u8);
            writer.WriteRawValue(JsonText.Raw(name), skipInputValidation: true);
            writer.WritePropertyName("input"u8);
            writer.WriteRawValue(input, skipInputValidation: true);
            writer.WriteEndObject();
            return null;
        }
        finally
        {
            JsonText.Return(rented);
        }
    }

    /// <summary>An OpenAI tool message as a <c>tool_result</c> block of a user turn; its text parts become text
    /// blocks. Empty content is left out (Anthropic's content is optional, its text blocks may not be empty).</summary>
    public static ApiError? WriteToolResult(ref AnthropicTurns turns, JsonElement message, MessagePath path)
    {
        if (!message.TryGetProperty("tool_call_id"u8, out var toolCallId) || toolCallId.ValueKind != JsonValueKind.String)
        {
            return toolCallId.ValueKind == JsonValueKind.Undefined
                ? InputErrors.Missing(path.Append(".tool_call_id"))
                : InputErrors.WrongType(path.Append(".tool_call_id"), "a string", toolCallId.ValueKind);
        }
        message.TryGetProperty("content"u8, out var content);
        var texts = 0;
        if (content.ValueKind == JsonValueKind.Array)
        {
            var partIndex = 0;
            foreach (var part in content.EnumerateArray())
            {
                var error = TryReadText(part, path, partIndex++, "tool messages", out var text);
                if (error is not null)
                {
                    return error;
                }
                texts += JsonText.IsEmptyString(text) ? 0 : 1;
            }
        }
        else if (content.ValueKind is not (JsonValueKind.String or JsonValueKind.Null or JsonValueKind.Undefined))
        {
            return InputErrors.WrongType(path.Append(".content"), "a string or an array of content parts", content.ValueKind);
        }
        turns.StartBlock(MessageRole.User);
        var writer = turns.Writer;
        writer.WriteStartObject();
        writer.WriteString("type"u8, "tool_result"u8);
        writer.WritePropertyName("tool_use_id"u8);
        writer.WriteRawValue(JsonText.Raw(toolCallId), skipInputValidation: true);
        if (content.ValueKind == JsonValueKind.String && !JsonText.IsEmptyString(content))
        {
            writer.WritePropertyName("content"u8);
            writer.WriteRawValue(JsonText.Raw(content), skipInputValidation: true);
        }
        else if (texts > 0)
        {
            writer.WriteStartArray("content"u8);
            foreach (var part in content.EnumerateArray())
            {
                var text = part.GetProperty("text"u8);
                if (!JsonText.IsEmptyString(text))
                {
                    writer.WriteStartObject();
                    writer.WriteString("type"u8, "text"u8);
                    writer.WritePropertyName("text"u8);
                    writer.WriteRawValue(JsonText.Raw(text), skipInputValidation: true);
                    writer.WriteEndObject();
                }
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
        return null;
    }

    private static ApiError? TryReadType(JsonElement part, MessagePath path, int index, out JsonElement type)
    {
        type = default;
        if (part.ValueKind != JsonValueKind.Object)
        {
            return InputErrors.WrongType(path.Part(index), "an object", part.ValueKind);
        }
        if (!part.TryGetProperty("type"u8, out type))
        {
            return InputErrors.Missing(path.Part(index, ".type"));
        }
        return type.ValueKind == JsonValueKind.String ? null : InputErrors.WrongType(path.Part(index, ".type"), "a string", type.ValueKind);
    }

    private static ApiError? TryReadString(JsonElement part, ReadOnlySpan<byte> field, MessagePath path, int index, out JsonElement value)
    {
        if (!part.TryGetProperty(field, out value))
        {
            return InputErrors.Missing(path.Part(index, "." + System.Text.Encoding.UTF8.GetString(field)));
        }
        return value.ValueKind == JsonValueKind.String
            ? null
            : InputErrors.WrongType(path.Part(index, "." + System.Text.Encoding.UTF8.GetString(field)), "a string", value.ValueKind);
    }

    /// <summary>Whether <paramref name="json"/> is exactly one JSON object; otherwise says what it is instead.</summary>
    private static bool IsJsonObject(ReadOnlySpan<byte> json, out string problem)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                problem = $"they are a JSON {reader.TokenType switch { JsonTokenType.StartArray => "array", JsonTokenType.String => "string", JsonTokenType.Number => "number", JsonTokenType.Null => "null", _ => "boolean" }}";
                return false;
            }
            reader.Skip();
            if (reader.Read())
            {
                problem = "there is more text after the object";
                return false;
            }
            problem = "";
            return true;
        }
        catch (JsonException e)
        {
            problem = $"they are not valid JSON ({e.Message})";
            return false;
        }
    }
}

/// <summary>Names a tool call's fields in errors, built only when an error needs it.</summary>
internal readonly record struct ToolCallPath(MessagePath Message, int Index)
{
    public string Name => $"{Message.Name}.tool_calls[{Index}]";

    public static string operator +(ToolCallPath path, string suffix) => path.Name + suffix;
}
