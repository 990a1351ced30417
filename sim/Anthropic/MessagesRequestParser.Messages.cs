using System.Globalization;
using System.Text.Json;

namespace Parley.Sim.Anthropic;

/// <summary>The "messages" array: roles, and which content blocks each role may hold (tool_use in assistant messages only,
/// tool_result in user messages only).</summary>
internal sealed partial class MessagesRequestParser
{
    private const string BlockTags = "'text', 'image', 'tool_use', 'tool_result'";
    private const string ToolResultBlockTags = "'text', 'image'";

    private enum Role { None, User, Assistant }

    private enum BlockType { Missing, Unknown, Text, Image, ToolUse, ToolResult }

    // Where a text block's text goes besides the token count.
    private enum TextTarget { CountOnly, Message, ToolResult }

    private static AnthropicError? ReadMessages(ref Utf8JsonReader reader, MessagesRequest request)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return AnthropicErrors.WrongType("messages", "a valid list");
        }
        var index = 0;
        var emptyAssistant = -1;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            // Only the final message may be an empty assistant turn (a prefill to continue from).
            if (emptyAssistant >= 0)
            {
                return EmptyContent(emptyAssistant);
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return AnthropicErrors.WrongType(Path("messages", index), "a valid dictionary");
            }
            var error = ReadMessage(ref reader, request, index, out var role, out var empty);
            if (error is not null)
            {
                return error;
            }
            if (empty)
            {
                if (role == Role.User)
                {
                    return EmptyContent(index);
                }
                emptyAssistant = index;
            }
            index++;
        }
        return index == 0 ? AnthropicErrors.Invalid("messages: at least one message is required") : null;
    }

    private static AnthropicError? ReadMessage(ref Utf8JsonReader reader, MessagesRequest request, int index, out Role role, out bool empty)
    {
        empty = false;
        // The role decides which blocks the content may hold, and it may come after the content.
        var roleError = PeekRole(reader, index, out role);
        if (roleError is not null)
        {
            return roleError;
        }
        request.BeginMessage();
        var sawContent = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }
            reader.Read();
            sawContent = true;
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    empty = IsEmptyString(ref reader);
                    request.CountString(ref reader);
                    if (role == Role.User)
                    {
                        request.AppendMessageText(ref reader);
                    }
                    break;
                case JsonTokenType.StartArray:
                    var error = ReadBlocks(ref reader, request, index, role, out var blocks);
                    if (error is not null)
                    {
                        return error;
                    }
                    empty = blocks == 0;
                    break;
                default:
                    return AnthropicErrors.WrongType(Path("messages", index) + ".content", "a valid string or a list of content blocks");
            }
        }
        if (!sawContent)
        {
            return AnthropicErrors.Required(Path("messages", index) + ".content");
        }
        if (role == Role.User)
        {
            request.KeepMessageAsLastUser();
        }
        return null;
    }

    private static AnthropicError? PeekRole(Utf8JsonReader copy, int index, out Role role)
    {
        role = Role.None;
        while (copy.Read() && copy.TokenType == JsonTokenType.PropertyName)
        {
            var isRole = copy.ValueTextEquals("role"u8);
            copy.Read();
            if (!isRole)
            {
                copy.Skip();
                continue;
            }
            role = copy.TokenType != JsonTokenType.String ? Role.None
                : copy.ValueTextEquals("user"u8) ? Role.User
                : copy.ValueTextEquals("assistant"u8) ? Role.Assistant
                : Role.None;
            if (role == Role.None)
            {
                return AnthropicErrors.Invalid($"{Path("messages", index)}.role: Input should be 'user' or 'assistant'");
            }
        }
        return role == Role.None ? AnthropicErrors.Required(Path("messages", index) + ".role") : null;
    }

    private static AnthropicError? ReadBlocks(ref Utf8JsonReader reader, MessagesRequest request, int message, Role role, out int blocks)
    {
        blocks = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var path = FieldPath.InMessage(message, blocks);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return AnthropicErrors.WrongType(path.ToString(), "a valid dictionary");
            }
            var error = PeekType(reader, path, textAndImageOnly: false, out var type) ?? type switch
            {
                BlockType.Text => ReadTextBlock(ref reader, request, path, role == Role.User ? TextTarget.Message : TextTarget.CountOnly),
                BlockType.Image => ReadImageBlock(ref reader, request, path),
                BlockType.ToolUse when role == Role.Assistant => ReadToolUseBlock(ref reader, request, path),
                BlockType.ToolResult when role == Role.User => ReadToolResultBlock(ref reader, request, path),
                BlockType.ToolUse => AnthropicErrors.Invalid($"{path}: `tool_use` blocks can only be in `assistant` messages"),
                _ => AnthropicErrors.Invalid($"{path}: `tool_result` blocks can only be in `user` messages"),
            };
            if (error is not null)
            {
                return error;
            }
            blocks++;
        }
        return null;
    }

    // The block's "type", read ahead on a copy of the reader (it may come after the fields it governs).
    private static AnthropicError? PeekType(Utf8JsonReader copy, FieldPath path, bool textAndImageOnly, out BlockType type)
    {
        type = BlockType.Missing;
        while (copy.Read() && copy.TokenType == JsonTokenType.PropertyName)
        {
            var isType = copy.ValueTextEquals("type"u8);
            copy.Read();
            if (!isType)
            {
                copy.Skip();
                continue;
            }
            if (copy.TokenType != JsonTokenType.String)
            {
                return AnthropicErrors.WrongType(path.Field("type"), "a valid string");
            }
            type = copy.ValueTextEquals("text"u8) ? BlockType.Text
                : copy.ValueTextEquals("image"u8) ? BlockType.Image
                : copy.ValueTextEquals("tool_use"u8) ? BlockType.ToolUse
                : copy.ValueTextEquals("tool_result"u8) ? BlockType.ToolResult
                : BlockType.Unknown;
            if (type == BlockType.Unknown || (textAndImageOnly && type is not (BlockType.Text or BlockType.Image)))
            {
                return AnthropicErrors.Invalid($"{path.Field("type")}: Input tag '{copy.GetString()}' found using 'type' does not match any of the expected tags: " +
                    (textAndImageOnly ? ToolResultBlockTags : BlockTags));
            }
        }
        return type == BlockType.Missing ? AnthropicErrors.Required(path.Field("type")) : null;
    }

    private static AnthropicError EmptyContent(int index)
        => AnthropicErrors.Invalid($"{Path("messages", index)}: all messages must have non-empty content except for the optional final assistant message");

    private static bool IsEmptyString(ref Utf8JsonReader reader) => reader.HasValueSequence ? reader.ValueSequence.IsEmpty : reader.ValueSpan.IsEmpty;

    private static string Path(string name, int index) => string.Create(CultureInfo.InvariantCulture, $"{name}.{index}");
}
