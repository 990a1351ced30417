using System.Buffers;
using System.Text;
using System.Text.Json;
using Parley.Sim.Chat;

namespace Parley.Sim.Anthropic;

/// <summary>The deterministic input of the simulator's tool call: one property per name in the schema's
/// <c>required</c> list, in its order, valued by the property's type: string → the last user text, integer and number
/// → 1, boolean → true, array → [], object → {}, anything else (no type, null, unknown) → null. For a list of types
/// the first that is not "null" counts. Written compactly, as the simulator sends it.</summary>
internal static class ToolInputBuilder
{
    public static string Build(JsonElement schema, ReadOnlySpan<char> lastUserText)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, CompletionJson.WriterOptions))
        {
            writer.WriteStartObject();
            if (schema.TryGetProperty("required"u8, out var required) && required.ValueKind == JsonValueKind.Array)
            {
                schema.TryGetProperty("properties"u8, out var properties);
                var written = new HashSet<string>(StringComparer.Ordinal);
                foreach (var entry in required.EnumerateArray())
                {
                    var name = entry.GetString()!;
                    // A name listed twice is still one property.
                    if (!written.Add(name))
                    {
                        continue;
                    }
                    writer.WritePropertyName(name);
                    WriteValue(writer, TypeOf(properties, name), lastUserText);
                }
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string? TypeOf(JsonElement properties, string name)
    {
        if (properties.ValueKind != JsonValueKind.Object || !properties.TryGetProperty(name, out var property) ||
            property.ValueKind != JsonValueKind.Object || !property.TryGetProperty("type"u8, out var type))
        {
            return null;
        }
        if (type.ValueKind == JsonValueKind.String)
        {
            return type.GetString();
        }
        if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var option in type.EnumerateArray())
            {
                if (option.ValueKind == JsonValueKind.String && !option.ValueEquals("null"u8))
                {
                    return option.GetString();
                }
            }
        }
        return null;
    }

    private static void WriteValue(Utf8JsonWriter writer, string? type, ReadOnlySpan<char> lastUserText)
    {
        switch (type)
        {
            case "string":
                writer.WriteStringValue(lastUserText);
                break;
            case "integer" or "number":
                writer.WriteNumberValue(1);
                break;
            case "boolean":
                writer.WriteBooleanValue(true);
                break;
            case "array":
                writer.WriteStartArray();
                writer.WriteEndArray();
                break;
            case "object":
                writer.WriteStartObject();
                writer.WriteEndObject();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
