using System.Globalization;
using System.Text.Json;

namespace Parley.Sim.Anthropic;

/// <summary>The other top-level fields: system, stop_sequences, metadata, and the sampling numbers (validated, otherwise
/// unused).</summary>
internal sealed partial class MessagesRequestParser
{
    private static AnthropicError? ReadSystem(ref Utf8JsonReader reader, MessagesRequest request)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                request.CountString(ref reader);
                return null;
            case JsonTokenType.StartArray:
                break;
            default:
                return AnthropicErrors.WrongType("system", "a valid string or a list of text blocks");
        }
        var block = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var path = FieldPath.System(block);
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return AnthropicErrors.WrongType(path.ToString(), "a valid dictionary");
            }
            var error = PeekType(reader, path, textAndImageOnly: true, out var type)
                ?? (type == BlockType.Text
                    ? ReadTextBlock(ref reader, request, path, TextTarget.CountOnly)
                    : AnthropicErrors.Invalid($"{path.Field("type")}: Input should be 'text'"));
            if (error is not null)
            {
                return error;
            }
            block++;
        }
        return null;
    }

    private static AnthropicError? ReadStopSequences(ref Utf8JsonReader reader, MessagesRequest request)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return AnthropicErrors.WrongType("stop_sequences", "a valid list");
        }
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                return AnthropicErrors.WrongType(Path("stop_sequences", index), "a valid string");
            }
            request.AddStopSequence(reader.GetString()!);
            index++;
        }
        return null;
    }

    private static AnthropicError? ReadMetadata(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return AnthropicErrors.WrongType("metadata", "a valid dictionary");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUserId = reader.ValueTextEquals("user_id"u8);
            reader.Read();
            if (isUserId && reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
            {
                return AnthropicErrors.WrongType("metadata.user_id", "a valid string");
            }
            reader.Skip();
        }
        return null;
    }

    private static AnthropicError? ReadNumber(ref Utf8JsonReader reader, string name, double max)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value))
        {
            return AnthropicErrors.WrongType(name, "a valid number");
        }
        return value < 0 ? AnthropicErrors.Invalid($"{name}: Input should be greater than or equal to 0")
            : value > max ? AnthropicErrors.Invalid(string.Create(CultureInfo.InvariantCulture, $"{name}: Input should be less than or equal to {max}"))
            : null;
    }

    private static AnthropicError? ReadNonNegativeInteger(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            return AnthropicErrors.WrongType(name, "a valid integer");
        }
        return value < 0 ? AnthropicErrors.Invalid($"{name}: Input should be greater than or equal to 0") : null;
    }

    private static AnthropicError? ReadStringList(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return AnthropicErrors.WrongType(path, "a valid list");
        }
        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                return AnthropicErrors.WrongType(Path(path, index), "a valid string");
            }
            index++;
        }
        return null;
    }
}
