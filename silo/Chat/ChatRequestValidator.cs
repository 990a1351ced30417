using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;
using Parley.Silo.Cache;
using Parley.Silo.Providers;

namespace Parley.Silo.Chat;

/// <summary>Checks the parts of a chat completions body that Parley relies on, and the types OpenAI would refuse, so a
/// bad request is answered here (400/404 with <c>param</c>) instead of costing an upstream call. Everything else is
/// left to the upstream, untouched.</summary>
internal static class ChatRequestValidator
{
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool", "function"];

    public static bool TryValidate(JsonElement root, ModelCatalog catalog, IHeaderDictionary headers, out ChatRequest request, out ApiError? error)
    {
        request = default;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = InputErrors.NotAnObject(root.ValueKind);
            return false;
        }
        JsonElement? model = null, messages = null, conversation = null;
        var stream = false;
        var includeUsage = false;
        var hasTools = false;
        long? maxTokens = null, maxCompletionTokens = null;
        var temperature = ResponseCacheOptions.UpstreamDefaultTemperature;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals("model"u8))
            {
                model = value;
            }
            else if (property.NameEquals("messages"u8))
            {
                messages = value;
            }
            else if (property.NameEquals("conversation"u8))
            {
                conversation = value;
            }
            else if (property.NameEquals("stream"u8))
            {
                if (!IsOptional(value, JsonValueKind.True) && !IsOptional(value, JsonValueKind.False))
                {
                    error = InputErrors.WrongType("stream", "a boolean", value.ValueKind);
                    return false;
                }
                stream = value.ValueKind == JsonValueKind.True;
            }
            else if (property.NameEquals("stream_options"u8))
            {
                if (!IsOptional(value, JsonValueKind.Object))
                {
                    error = InputErrors.WrongType("stream_options", "an object", value.ValueKind);
                    return false;
                }
                if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("include_usage"u8, out var usage))
                {
                    if (!IsOptional(usage, JsonValueKind.True) && !IsOptional(usage, JsonValueKind.False))
                    {
                        error = InputErrors.WrongType("stream_options.include_usage", "a boolean", usage.ValueKind);
                        return false;
                    }
                    includeUsage = usage.ValueKind == JsonValueKind.True;
                }
            }
            else if (property.NameEquals("max_tokens"u8) || property.NameEquals("max_completion_tokens"u8) || property.NameEquals("n"u8))
            {
                long number = 0;
                if (!IsOptional(value, JsonValueKind.Number) || (value.ValueKind == JsonValueKind.Number && !value.TryGetInt64(out number)))
                {
                    error = InputErrors.WrongType(property.Name, "an integer", value.ValueKind);
                    return false;
                }
                if (value.ValueKind == JsonValueKind.Number)
                {
                    if (number < 1)
                    {
                        error = InputErrors.InvalidValue(property.Name, $"Invalid '{property.Name}': integer below minimum value. Expected a value >= 1, but got {number} instead.");
                        return false;
                    }
                    if (property.NameEquals("max_tokens"u8))
                    {
                        maxTokens = number;
                    }
                    else if (property.NameEquals("max_completion_tokens"u8))
                    {
                        maxCompletionTokens = number;
                    }
                }
            }
            else if (property.NameEquals("tools"u8))
            {
                if (!IsOptional(value, JsonValueKind.Array))
                {
                    error = InputErrors.WrongType("tools", "an array", value.ValueKind);
                    return false;
                }
                hasTools = value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0;
            }
            else if (property.NameEquals("temperature"u8) || property.NameEquals("top_p"u8))
            {
                if (!IsOptional(value, JsonValueKind.Number))
                {
                    error = InputErrors.WrongType(property.Name, "a number", value.ValueKind);
                    return false;
                }
                if (property.NameEquals("temperature"u8))
                {
                    temperature = value.ValueKind != JsonValueKind.Number ? ResponseCacheOptions.UpstreamDefaultTemperature
                        : value.TryGetDouble(out var sent) ? sent : double.NaN;
                }
            }
        }
        if (model is not { } modelValue)
        {
            error = InputErrors.Missing("model");
            return false;
        }
        if (modelValue.ValueKind != JsonValueKind.String)
        {
            error = InputErrors.WrongType("model", "a string", modelValue.ValueKind);
            return false;
        }
        if (messages is not { } messagesValue)
        {
            error = InputErrors.Missing("messages");
            return false;
        }
        if (!TryValidateMessages(messagesValue, out error))
        {
            return false;
        }
        if (!ConversationReference.TryResolve(conversation, headers, out var conversationId, out error))
        {
            return false;
        }
        var modelName = modelValue.GetString()!;
        if (!catalog.TryGetModel(modelName, out var catalogModel) && !catalog.Rules.TryGetDefault(modelName, out catalogModel))
        {
            error = ChatErrors.ModelNotFound(modelName);
            return false;
        }
        // max_completion_tokens supersedes the deprecated max_tokens when both are sent, as at OpenAI.
        var replyLimit = maxCompletionTokens ?? maxTokens;
        if (replyLimit > MaxReplyTokens)
        {
            // A reply limit beyond any context window is the client's mistake (400), not a want of capacity (429), and
            // never reaches token arithmetic that could overflow. Below it, a prompt plus its reply that no deployment's
            // window holds is context_length_exceeded, as at OpenAI.
            var name = maxCompletionTokens is null ? "max_tokens" : "max_completion_tokens";
            error = InputErrors.InvalidValue(name, $"{name} is too large: {replyLimit}. This model supports at most {MaxReplyTokens} completion tokens, whereas you provided {replyLimit}.");
            return false;
        }
        request = new ChatRequest(catalogModel, modelName, hasTools, stream, includeUsage, conversationId, messagesValue,
            replyLimit is { } limit ? (int)Math.Min(limit, int.MaxValue) : null, temperature);
        error = null;
        return true;
    }

    /// <summary>The largest reply limit Parley passes on, far above any model's window, so that a prompt plus its reply
    /// always fits a 32-bit count.</summary>
    public const int MaxReplyTokens = int.MaxValue / 2;

    private static bool TryValidateMessages(JsonElement messages, out ApiError? error)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            error = InputErrors.WrongType("messages", "an array", messages.ValueKind);
            return false;
        }
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (!TryValidateMessage(message, index, out error))
            {
                return false;
            }
            index++;
        }
        if (index == 0)
        {
            error = InputErrors.EmptyArray("messages");
            return false;
        }
        error = null;
        return true;
    }

    private static bool TryValidateMessage(JsonElement message, int index, out ApiError? error)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            error = InputErrors.WrongType($"messages[{index}]", "an object", message.ValueKind);
            return false;
        }
        if (!message.TryGetProperty("role"u8, out var role))
        {
            error = InputErrors.Missing($"messages[{index}].role");
            return false;
        }
        if (role.ValueKind != JsonValueKind.String)
        {
            error = InputErrors.WrongType($"messages[{index}].role", "a string", role.ValueKind);
            return false;
        }
        var knownRole = KnownRole(role);
        if (knownRole is null)
        {
            error = InputErrors.InvalidValue($"messages[{index}].role",
                $"Invalid value: '{role.GetString()}'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', and 'function'.");
            return false;
        }
        var hasContent = message.TryGetProperty("content"u8, out var content);
        // Assistant and function messages may carry only tool calls; every other role must say something.
        var contentRequired = knownRole is not ("assistant" or "function");
        if (!hasContent || content.ValueKind == JsonValueKind.Null)
        {
            if (contentRequired)
            {
                error = InputErrors.Missing($"messages[{index}].content");
                return false;
            }
            error = null;
            return true;
        }
        if (content.ValueKind == JsonValueKind.Array)
        {
            var part = 0;
            foreach (var item in content.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    error = InputErrors.WrongType($"messages[{index}].content[{part}]", "an object", item.ValueKind);
                    return false;
                }
                // A part's type is what every reader of it (token counts, policy, translators) switches on.
                if (item.TryGetProperty("type"u8, out var type) && type.ValueKind != JsonValueKind.String)
                {
                    error = InputErrors.WrongType($"messages[{index}].content[{part}].type", "a string", type.ValueKind);
                    return false;
                }
                part++;
            }
        }
        else if (content.ValueKind != JsonValueKind.String)
        {
            error = InputErrors.WrongType($"messages[{index}].content", "a string or an array of content parts", content.ValueKind);
            return false;
        }
        error = null;
        return true;
    }

    private static string? KnownRole(JsonElement role)
    {
        foreach (var candidate in Roles)
        {
            if (role.ValueEquals(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static bool IsOptional(JsonElement value, JsonValueKind expected)
        => value.ValueKind == expected || value.ValueKind == JsonValueKind.Null;
}
