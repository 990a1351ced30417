using System.Globalization;
using System.Text.Json;
using Parley.Sim.Api;

namespace Parley.Sim.Chat;

/// <summary>The "messages" array: roles and text content (a string or text parts). Prompt tokens are counted on
/// the whole array once it is valid (see ParseRoot).</summary>
internal sealed partial class ChatRequestParser
{
    private const string RoleValues = "'system', 'assistant', 'user', 'function', 'tool', and 'developer'";

    private enum Role { None, System, Developer, User, Assistant, Tool, Function }

    private SimError? ReadMessages(ref Utf8JsonReader reader, ChatRequest request)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return SimErrors.InvalidType("messages", "an array", JsonFields.Describe(ref reader));
        }
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return SimErrors.InvalidType(Param("messages", index), "an object", JsonFields.Describe(ref reader));
            }
            var error = ReadMessage(ref reader, request, index);
            if (error is not null)
            {
                return error;
            }
            index++;
        }
        return index == 0 ? SimErrors.EmptyArray("messages") : null;
    }

    private SimError? ReadMessage(ref Utf8JsonReader reader, ChatRequest request, int index)
    {
        request.BeginMessage();
        var role = Role.None;
        var hasContent = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return SimErrors.InvalidType(Param("messages", index) + ".role", "a string", JsonFields.Describe(ref reader));
                }
                role = ParseRole(ref reader);
                if (role == Role.None)
                {
                    return SimErrors.InvalidValue(Param("messages", index) + ".role",
                        $"Invalid value: '{reader.GetString()}'. Supported values are: {RoleValues}.");
                }
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.String:
                        request.AppendText(ref reader);
                        hasContent = true;
                        break;
                    case JsonTokenType.StartArray:
                        var error = ReadContentParts(ref reader, request, index);
                        if (error is not null)
                        {
                            return error;
                        }
                        hasContent = true;
                        break;
                    case JsonTokenType.Null:
                        break;
                    default:
                        return SimErrors.InvalidType(Param("messages", index) + ".content", "one of a string or array of objects", JsonFields.Describe(ref reader));
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (role == Role.None)
        {
            return SimErrors.MissingParameter(Param("messages", index) + ".role");
        }
        // Only assistant turns (tool calls) and legacy function results may come without content.
        if (!hasContent && role is not (Role.Assistant or Role.Function))
        {
            return SimErrors.MissingParameter(Param("messages", index) + ".content");
        }
        if (role == Role.User)
        {
            request.KeepMessageAsLastUser();
        }
        return null;
    }

    private static SimError? ReadContentParts(ref Utf8JsonReader reader, ChatRequest request, int index)
    {
        var part = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return SimErrors.InvalidType($"{Param("messages", index)}.content[{part}]", "an object", JsonFields.Describe(ref reader));
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        return SimErrors.InvalidType($"{Param("messages", index)}.content[{part}].text", "a string", JsonFields.Describe(ref reader));
                    }
                    request.AppendText(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            part++;
        }
        return null;
    }

    private static Role ParseRole(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("user"u8) ? Role.User
        : reader.ValueTextEquals("assistant"u8) ? Role.Assistant
        : reader.ValueTextEquals("system"u8) ? Role.System
        : reader.ValueTextEquals("developer"u8) ? Role.Developer
        : reader.ValueTextEquals("tool"u8) ? Role.Tool
        : reader.ValueTextEquals("function"u8) ? Role.Function
        : Role.None;

    private static string Param(string name, int index) => string.Create(CultureInfo.InvariantCulture, $"{name}[{index}]");
}
