using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Parley.Silo.Policy;

/// <summary>Where text sits in an OpenAI chat message: its string content, the <c>text</c> of each content part, and the
/// <c>arguments</c> of each tool call (and of the legacy <c>function_call</c>).</summary>
internal enum TextPlace
{
    Content,
    Part,
    ToolArguments,
    FunctionArguments,
}

internal readonly record struct TextLocation(int Message, TextPlace Place, int Index)
{
    /// <summary>The request parameter, as an error names it.</summary>
    public string Param => Place switch
    {
        TextPlace.Content => string.Create(CultureInfo.InvariantCulture, $"messages[{Message}].content"),
        TextPlace.Part => string.Create(CultureInfo.InvariantCulture, $"messages[{Message}].content[{Index}].text"),
        TextPlace.ToolArguments => string.Create(CultureInfo.InvariantCulture, $"messages[{Message}].tool_calls[{Index}].function.arguments"),
        _ => string.Create(CultureInfo.InvariantCulture, $"messages[{Message}].function_call.arguments"),
    };
}

/// <summary>Reads the texts of chat messages and writes messages with some texts replaced, copying everything else
/// byte for byte.</summary>
internal static class MessageTexts
{
    /// <summary>Every text of one message (already validated: an object with a role).</summary>
    public static void Visit<TState>(JsonElement message, int index, ref TState state, VisitText<TState> visit)
    {
        if (message.TryGetProperty("content"u8, out var content))
        {
            if (content.ValueKind == JsonValueKind.String)
            {
                visit(new TextLocation(index, TextPlace.Content, 0), content.GetString()!, ref state);
            }
            else if (content.ValueKind == JsonValueKind.Array)
            {
                var part = 0;
                foreach (var item in content.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        visit(new TextLocation(index, TextPlace.Part, part), text.GetString()!, ref state);
                    }
                    part++;
                }
            }
        }
        if (message.TryGetProperty("tool_calls"u8, out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            var call = 0;
            foreach (var item in calls.EnumerateArray())
            {
                if (Arguments(item) is { } arguments)
                {
                    visit(new TextLocation(index, TextPlace.ToolArguments, call), arguments, ref state);
                }
                call++;
            }
        }
        if (message.TryGetProperty("function_call"u8, out var functionCall) && Arguments(functionCall, direct: true) is { } functionArguments)
        {
            visit(new TextLocation(index, TextPlace.FunctionArguments, 0), functionArguments, ref state);
        }
    }

    public delegate void VisitText<TState>(TextLocation location, string text, ref TState state);

    private static string? Arguments(JsonElement call, bool direct = false)
    {
        if (call.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var holder = call;
        if (!direct && !(call.TryGetProperty("function"u8, out holder) && holder.ValueKind == JsonValueKind.Object))
        {
            return null;
        }
        return holder.TryGetProperty("arguments"u8, out var arguments) && arguments.ValueKind == JsonValueKind.String ? arguments.GetString() : null;
    }

    /// <summary>Writes <paramref name="message"/> with the texts <paramref name="replacements"/> names replaced.</summary>
    public static void Write(Utf8JsonWriter writer, JsonElement message, int index, IReadOnlyDictionary<TextLocation, string> replacements)
    {
        writer.WriteStartObject();
        foreach (var property in message.EnumerateObject())
        {
            var value = property.Value;
            if (property.NameEquals("content"u8) && value.ValueKind == JsonValueKind.String
                && replacements.TryGetValue(new TextLocation(index, TextPlace.Content, 0), out var text))
            {
                writer.WriteString("content"u8, text);
            }
            else if (property.NameEquals("content"u8) && value.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray("content"u8);
                var part = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (replacements.TryGetValue(new TextLocation(index, TextPlace.Part, part++), out var partText))
                    {
                        WriteReplacing(writer, item, "text"u8, partText);
                    }
                    else
                    {
                        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(item), skipInputValidation: true);
                    }
                }
                writer.WriteEndArray();
            }
            else if (property.NameEquals("tool_calls"u8) && value.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray("tool_calls"u8);
                var call = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (replacements.TryGetValue(new TextLocation(index, TextPlace.ToolArguments, call++), out var arguments))
                    {
                        WriteCall(writer, item, arguments, nested: true);
                    }
                    else
                    {
                        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(item), skipInputValidation: true);
                    }
                }
                writer.WriteEndArray();
            }
            else if (property.NameEquals("function_call"u8) && replacements.TryGetValue(new TextLocation(index, TextPlace.FunctionArguments, 0), out var functionArguments))
            {
                writer.WritePropertyName("function_call"u8);
                WriteCall(writer, value, functionArguments, nested: false);
            }
            else
            {
                property.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
    }

    private static void WriteCall(Utf8JsonWriter writer, JsonElement call, string arguments, bool nested)
    {
        if (!nested)
        {
            WriteReplacing(writer, call, "arguments"u8, arguments);
            return;
        }
        writer.WriteStartObject();
        foreach (var property in call.EnumerateObject())
        {
            if (property.NameEquals("function"u8))
            {
                writer.WritePropertyName("function"u8);
                WriteReplacing(writer, property.Value, "arguments"u8, arguments);
            }
            else
            {
                property.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
    }

    private static void WriteReplacing(Utf8JsonWriter writer, JsonElement item, ReadOnlySpan<byte> name, string text)
    {
        writer.WriteStartObject();
        foreach (var property in item.EnumerateObject())
        {
            if (property.NameEquals(name))
            {
                writer.WriteString(name, text);
            }
            else
            {
                property.WriteTo(writer);
            }
        }
        writer.WriteEndObject();
    }
}
