using System.Text.Json;

namespace Parley.Sim.Anthropic;

/// <summary>Content blocks: text, image (base64 or url), tool_use and tool_result (naming a tool_use of an earlier assistant
/// message); each adds what the model reads to the input tokens.</summary>
internal sealed partial class MessagesRequestParser
{
    private static AnthropicError? ReadTextBlock(ref Utf8JsonReader reader, MessagesRequest request, FieldPath path, TextTarget target)
    {
        var sawText = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                return AnthropicErrors.WrongType(path.Field("text"), "a valid string");
            }
            if (IsEmptyString(ref reader))
            {
                return AnthropicErrors.Invalid($"{path.Field("text")}: text content blocks must be non-empty");
            }
            sawText = true;
            request.CountString(ref reader);
            if (target == TextTarget.Message)
            {
                request.AppendMessageText(ref reader);
            }
            else if (target == TextTarget.ToolResult)
            {
                request.AppendToolResultText(ref reader);
            }
        }
        return sawText ? null : AnthropicErrors.Required(path.Field("text"));
    }

    private static AnthropicError? ReadImageBlock(ref Utf8JsonReader reader, MessagesRequest request, FieldPath path)
    {
        var sawSource = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("source"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            reader.Read();
            if (ReadImageSource(ref reader, path.Field("source")) is { } error)
            {
                return error;
            }
            sawSource = true;
        }
        if (!sawSource)
        {
            return AnthropicErrors.Required(path.Field("source"));
        }
        request.Images++;
        return null;
    }

    private static AnthropicError? ReadImageSource(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return AnthropicErrors.WrongType(path, "a valid dictionary");
        }
        string? kind = null;
        bool mediaType = false, data = false, url = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueTextEquals("type"u8) ? "type"
                : reader.ValueTextEquals("media_type"u8) ? "media_type"
                : reader.ValueTextEquals("data"u8) ? "data"
                : reader.ValueTextEquals("url"u8) ? "url"
                : null;
            reader.Read();
            if (name is null)
            {
                reader.Skip();
                continue;
            }
            if (reader.TokenType != JsonTokenType.String)
            {
                return AnthropicErrors.WrongType($"{path}.{name}", "a valid string");
            }
            switch (name)
            {
                case "type":
                    kind = reader.ValueTextEquals("base64"u8) ? "base64" : reader.ValueTextEquals("url"u8) ? "url" : "";
                    if (kind.Length == 0)
                    {
                        return AnthropicErrors.Invalid($"{path}.type: Input tag '{reader.GetString()}' found using 'type' does not match any of the expected tags: 'base64', 'url'");
                    }
                    break;
                case "media_type":
                    if (!(reader.ValueTextEquals("image/jpeg"u8) || reader.ValueTextEquals("image/png"u8) || reader.ValueTextEquals("image/gif"u8) || reader.ValueTextEquals("image/webp"u8)))
                    {
                        return AnthropicErrors.Invalid($"{path}.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'");
                    }
                    mediaType = true;
                    break;
                case "data":
                    data = true;
                    break;
                default:
                    url = true;
                    break;
            }
        }
        return kind switch
        {
            null => AnthropicErrors.Required(path + ".type"),
            "base64" when !mediaType => AnthropicErrors.Required(path + ".media_type"),
            "base64" when !data => AnthropicErrors.Required(path + ".data"),
            "url" when !url => AnthropicErrors.Required(path + ".url"),
            _ => null,
        };
    }

    private static AnthropicError? ReadToolUseBlock(ref Utf8JsonReader reader, MessagesRequest request, FieldPath path)
    {
        string? id = null;
        var sawName = false;
        var sawInput = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return AnthropicErrors.WrongType(path.Field("id"), "a valid string");
                }
                id = reader.GetString();
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return AnthropicErrors.WrongType(path.Field("name"), "a valid string");
                }
                sawName = true;
                request.CountString(ref reader);
            }
            else if (reader.ValueTextEquals("input"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return AnthropicErrors.WrongType(path.Field("input"), "a valid dictionary");
                }
                var start = reader.TokenStartIndex;
                reader.Skip();
                request.CountRaw(start, ref reader);
                sawInput = true;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (id is null || !sawName || !sawInput)
        {
            return AnthropicErrors.Required(path.Field(id is null ? "id" : !sawName ? "name" : "input"));
        }
        (request.ToolUseIds ??= new HashSet<string>(StringComparer.Ordinal)).Add(id);
        return null;
    }

    private static AnthropicError? ReadToolResultBlock(ref Utf8JsonReader reader, MessagesRequest request, FieldPath path)
    {
        string? toolUseId = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            AnthropicError? error = null;
            if (reader.ValueTextEquals("tool_use_id"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return AnthropicErrors.WrongType(path.Field("tool_use_id"), "a valid string");
                }
                toolUseId = reader.GetString();
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                error = ReadToolResultContent(ref reader, request, path);
            }
            else if (reader.ValueTextEquals("is_error"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
                {
                    return AnthropicErrors.WrongType(path.Field("is_error"), "a valid boolean");
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
            if (error is not null)
            {
                return error;
            }
        }
        if (toolUseId is null)
        {
            return AnthropicErrors.Required(path.Field("tool_use_id"));
        }
        if (request.ToolUseIds is null || !request.ToolUseIds.Contains(toolUseId))
        {
            return AnthropicErrors.Invalid($"{path}: unexpected `tool_use_id` found in `tool_result` blocks: {toolUseId}. " +
                "Each `tool_result` block must have a corresponding `tool_use` block in an earlier `assistant` message.");
        }
        request.MessageHasToolResult = true;
        return null;
    }

    private static AnthropicError? ReadToolResultContent(ref Utf8JsonReader reader, MessagesRequest request, FieldPath path)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                request.CountString(ref reader);
                request.AppendToolResultText(ref reader);
                return null;
            case JsonTokenType.StartArray:
                break;
            default:
                return AnthropicErrors.WrongType(path.Field("content"), "a valid string or a list of content blocks");
        }
        var inner = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var innerPath = path.Nested(inner);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return AnthropicErrors.WrongType(innerPath.ToString(), "a valid dictionary");
            }
            var error = PeekType(reader, innerPath, textAndImageOnly: true, out var type) ?? (type == BlockType.Text
                ? ReadTextBlock(ref reader, request, innerPath, TextTarget.ToolResult)
                : ReadImageBlock(ref reader, request, innerPath));
            if (error is not null)
            {
                return error;
            }
            inner++;
        }
        return null;
    }
}
