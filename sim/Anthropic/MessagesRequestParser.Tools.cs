using System.Text.Json;

namespace Parley.Sim.Anthropic;

/// <summary>tools (custom tools: name, description, an object input_schema) and tool_choice.</summary>
internal sealed partial class MessagesRequestParser
{
    private const int MaxToolNameLength = 128;

    private static AnthropicError? ReadTools(ref Utf8JsonReader reader, MessagesRequest request)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return AnthropicErrors.WrongType("tools", "a valid list");
        }
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var path = Path("tools", index);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return AnthropicErrors.WrongType(path, "a valid dictionary");
            }
            var error = ReadTool(ref reader, request, path);
            if (error is not null)
            {
                return error;
            }
            index++;
        }
        return null;
    }

    private static AnthropicError? ReadTool(ref Utf8JsonReader reader, MessagesRequest request, string path)
    {
        string? name = null;
        long schemaStart = -1, schemaLength = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return AnthropicErrors.WrongType(path + ".name", "a valid string");
                }
                name = reader.GetString()!;
                if (!IsToolName(name))
                {
                    return AnthropicErrors.Invalid($"{path}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,{MaxToolNameLength}}}$'");
                }
                request.CountString(ref reader);
            }
            else if (reader.ValueTextEquals("description"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    request.CountString(ref reader);
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    return AnthropicErrors.WrongType(path + ".description", "a valid string");
                }
            }
            else if (reader.ValueTextEquals("input_schema"u8))
            {
                reader.Read();
                schemaStart = reader.TokenStartIndex;
                if (ReadInputSchema(ref reader, path + ".input_schema") is { } error)
                {
                    return error;
                }
                request.CountRaw(schemaStart, ref reader);
                schemaLength = reader.BytesConsumed - schemaStart;
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Null && !(reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("custom"u8)))
                {
                    return AnthropicErrors.Invalid($"{path}.type: the simulator serves only custom tools (type 'custom' or none)");
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (name is null || schemaStart < 0)
        {
            return AnthropicErrors.Required(path + (name is null ? ".name" : ".input_schema"));
        }
        if (IndexOfTool(request, name) >= 0)
        {
            return AnthropicErrors.Invalid($"tools: Tool names must be unique ('{name}' is given twice)");
        }
        request.AddTool(new ToolSpec(name, schemaStart, schemaLength));
        return null;
    }

    // At the schema's first token; leaves the reader at its last.
    private static AnthropicError? ReadInputSchema(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return AnthropicErrors.WrongType(path, "a valid dictionary");
        }
        var sawType = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String || !reader.ValueTextEquals("object"u8))
                {
                    return AnthropicErrors.Invalid($"{path}.type: Input should be 'object'");
                }
                sawType = true;
            }
            else if (reader.ValueTextEquals("properties"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.Null))
                {
                    return AnthropicErrors.WrongType(path + ".properties", "a valid dictionary");
                }
                reader.Skip();
            }
            else if (reader.ValueTextEquals("required"u8))
            {
                reader.Read();
                if (ReadStringList(ref reader, path + ".required") is { } error)
                {
                    return error;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return sawType ? null : AnthropicErrors.Required(path + ".type");
    }

    private static AnthropicError? ReadToolChoice(ref Utf8JsonReader reader, MessagesRequest request)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return AnthropicErrors.WrongType("tool_choice", "a valid dictionary");
        }
        var sawType = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                ToolChoiceKind? kind = reader.TokenType != JsonTokenType.String ? null
                    : reader.ValueTextEquals("auto"u8) ? ToolChoiceKind.Auto
                    : reader.ValueTextEquals("any"u8) ? ToolChoiceKind.Any
                    : reader.ValueTextEquals("none"u8) ? ToolChoiceKind.None
                    : reader.ValueTextEquals("tool"u8) ? ToolChoiceKind.Tool
                    : null;
                if (kind is null)
                {
                    return AnthropicErrors.Invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
                }
                request.ToolChoice = kind.Value;
                sawType = true;
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return AnthropicErrors.WrongType("tool_choice.name", "a valid string");
                }
                request.ToolChoiceName = reader.GetString();
            }
            else if (reader.ValueTextEquals("disable_parallel_tool_use"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
                {
                    return AnthropicErrors.WrongType("tool_choice.disable_parallel_tool_use", "a valid boolean");
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (!sawType)
        {
            return AnthropicErrors.Required("tool_choice.type");
        }
        if (request.ToolChoice == ToolChoiceKind.Tool && request.ToolChoiceName is null)
        {
            return AnthropicErrors.Required("tool_choice.name");
        }
        request.HasToolChoice = true;
        return null;
    }

    private static bool IsToolName(string name)
    {
        if (name.Length is 0 or > MaxToolNameLength)
        {
            return false;
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }
}
