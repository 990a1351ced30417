using System.Text.Json;
using Parley.Silo.Api;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Translates OpenAI's <c>messages</c> into Anthropic's top-level <c>system</c> and its <c>messages</c>
/// turns. Content is copied in its escaped form; only image URLs and tool-call arguments are decoded.</summary>
internal static class AnthropicMessagesWriter
{
    /// <summary>Writes <c>system</c> from every system and developer message, wherever it stands in the list and in
    /// order: a string for a single text (the common case, and what Anthropic's own examples use), else text blocks.
    /// Writes nothing when there is no system text.</summary>
    public static ApiError? WriteSystem(Utf8JsonWriter writer, JsonElement messages, int storedMessageCount)
    {
        var count = 0;
        JsonElement single = default;
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = new MessagePath(index++, storedMessageCount);
            var error = MessageRoles.TryRead(message, path, out var role);
            if (error is not null)
            {
                return error;
            }
            if (role != MessageRole.System)
            {
                continue;
            }
            error = ForEachSystemText(message, path, ref count, ref single, null);
            if (error is not null)
            {
                return error;
            }
        }
        if (count == 0)
        {
            return null;
        }
        writer.WritePropertyName("system"u8);
        if (count == 1)
        {
            writer.WriteRawValue(JsonText.Raw(single), skipInputValidation: true);
            return null;
        }
        writer.WriteStartArray();
        index = 0;
        count = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = new MessagePath(index++, storedMessageCount);
            MessageRoles.TryRead(message, path, out var role);
            if (role == MessageRole.System)
            {
                ForEachSystemText(message, path, ref count, ref single, writer);
            }
        }
        writer.WriteEndArray();
        return null;
    }

    /// <summary>Counts (and, given a writer, writes as text blocks) the non-empty texts of one system message.</summary>
    private static ApiError? ForEachSystemText(JsonElement message, MessagePath path, ref int count, ref JsonElement last, Utf8JsonWriter? writer)
    {
        if (!message.TryGetProperty("content"u8, out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (content.ValueKind == JsonValueKind.String)
        {
            AddSystemText(content, ref count, ref last, writer);
            return null;
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            return InputErrors.WrongType(path.Append(".content"), "a string or an array of content parts", content.ValueKind);
        }
        var partIndex = 0;
        foreach (var part in content.EnumerateArray())
        {
            var error = ContentParts.TryReadText(part, path, partIndex, "system and developer messages", out var text);
            if (error is not null)
            {
                return error;
            }
            AddSystemText(text, ref count, ref last, writer);
            partIndex++;
        }
        return null;
    }

    private static void AddSystemText(JsonElement text, ref int count, ref JsonElement last, Utf8JsonWriter? writer)
    {
        if (JsonText.IsEmptyString(text))
        {
            return;
        }
        count++;
        last = text;
        if (writer is not null)
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "text"u8);
            writer.WritePropertyName("text"u8);
            writer.WriteRawValue(JsonText.Raw(text), skipInputValidation: true);
            writer.WriteEndObject();
        }
    }

    /// <summary>Writes <c>messages</c>: user, assistant and tool messages as alternating turns (see
    /// <see cref="AnthropicTurns"/>), system messages left out (they went to <c>system</c>).</summary>
    public static ApiError? WriteMessages(Utf8JsonWriter writer, JsonElement messages, int storedMessageCount)
    {
        writer.WriteStartArray("messages"u8);
        var turns = new AnthropicTurns(writer);
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = new MessagePath(index++, storedMessageCount);
            var error = MessageRoles.TryRead(message, path, out var role);
            error ??= role switch
            {
                MessageRole.User => WriteUser(ref turns, message, path),
                MessageRole.Assistant => WriteAssistant(ref turns, message, path),
                MessageRole.Tool => ContentParts.WriteToolResult(ref turns, message, path),
                _ => null,
            };
            if (error is not null)
            {
                return error;
            }
        }
        turns.Finish();
        writer.WriteEndArray();
        return turns.Count == 0
            ? InputErrors.InvalidValue("messages", "Anthropic models need at least one user or assistant message with content besides the system messages.")
            : null;
    }

    private static ApiError? WriteUser(ref AnthropicTurns turns, JsonElement message, MessagePath path)
    {
        if (!message.TryGetProperty("content"u8, out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (content.ValueKind == JsonValueKind.String)
        {
            turns.WriteText(MessageRole.User, content);
            return null;
        }
        if (content.ValueKind != JsonValueKind.Array)
        {
            return InputErrors.WrongType(path.Append(".content"), "a string or an array of content parts", content.ValueKind);
        }
        var partIndex = 0;
        foreach (var part in content.EnumerateArray())
        {
            var error = ContentParts.WriteUserPart(ref turns, part, path, partIndex++);
            if (error is not null)
            {
                return error;
            }
        }
        return null;
    }

    private static ApiError? WriteAssistant(ref AnthropicTurns turns, JsonElement message, MessagePath path)
    {
        if (message.TryGetProperty("function_call"u8, out var functionCall) && functionCall.ValueKind != JsonValueKind.Null)
        {
            return RequestErrors.UnsupportedParameter(path.Append(".function_call"),
                "The legacy 'function_call' is not supported for Anthropic models; send 'tool_calls' instead.");
        }
        if (message.TryGetProperty("content"u8, out var content) && content.ValueKind != JsonValueKind.Null)
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                turns.WriteText(MessageRole.Assistant, content);
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                var partIndex = 0;
                foreach (var part in content.EnumerateArray())
                {
                    // A refusal the model gave earlier is part of what it said: it goes back as text.
                    var error = ContentParts.TryReadText(part, path, partIndex++, "assistant messages", out var text, allowRefusal: true);
                    if (error is not null)
                    {
                        return error;
                    }
                    turns.WriteText(MessageRole.Assistant, text);
                }
            }
            else
            {
                return InputErrors.WrongType(path.Append(".content"), "a string or an array of content parts", content.ValueKind);
            }
        }
        if (message.TryGetProperty("refusal"u8, out var refusal) && refusal.ValueKind == JsonValueKind.String)
        {
            turns.WriteText(MessageRole.Assistant, refusal);
        }
        if (!message.TryGetProperty("tool_calls"u8, out var toolCalls) || toolCalls.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (toolCalls.ValueKind != JsonValueKind.Array)
        {
            return InputErrors.WrongType(path.Append(".tool_calls"), "an array", toolCalls.ValueKind);
        }
        var callIndex = 0;
        foreach (var call in toolCalls.EnumerateArray())
        {
            var error = ContentParts.WriteToolUse(ref turns, call, path, callIndex++);
            if (error is not null)
            {
                return error;
            }
        }
        return null;
    }
}
