using System.Text.Json;
using Parley.Silo.Api;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>An OpenAI message's role as the translation sees it: <c>developer</c> is <c>system</c>.</summary>
internal enum MessageRole
{
    System,
    User,
    Assistant,
    Tool,
}

internal static class MessageRoles
{
    /// <summary>Reads the role of one message, refusing what Anthropic has no counterpart for.</summary>
    public static ApiError? TryRead(JsonElement message, MessagePath path, out MessageRole role)
    {
        role = default;
        if (message.ValueKind != JsonValueKind.Object)
        {
            return InputErrors.WrongType(path.Name, "an object", message.ValueKind);
        }
        if (!message.TryGetProperty("role"u8, out var value))
        {
            return InputErrors.Missing(path.Append(".role"));
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            return InputErrors.WrongType(path.Append(".role"), "a string", value.ValueKind);
        }
        if (value.ValueEquals("system"u8) || value.ValueEquals("developer"u8))
        {
            role = MessageRole.System;
        }
        else if (value.ValueEquals("user"u8))
        {
            role = MessageRole.User;
        }
        else if (value.ValueEquals("assistant"u8))
        {
            role = MessageRole.Assistant;
        }
        else if (value.ValueEquals("tool"u8))
        {
            role = MessageRole.Tool;
        }
        else if (value.ValueEquals("function"u8))
        {
            return RequestErrors.UnsupportedValue(path.Append(".role"),
                "The legacy 'function' role is not supported for Anthropic models; send 'tool_calls' and 'tool' messages instead.");
        }
        else
        {
            return InputErrors.InvalidValue(path.Append(".role"),
                $"Invalid value: '{value.GetString()}'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.");
        }
        return null;
    }
}
