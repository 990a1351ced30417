using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parley.Grains.Conversations.Context;

/// <summary>Stores a UTF-8 JSON value as nested JSON rather than as an escaped string: no escaping on write (a stored
/// message costs its own size, not up to twice that) and the bytes read back are exactly the bytes written.</summary>
public sealed class RawJsonConverter : JsonConverter<byte[]>
{
    public override byte[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return JsonMarshal.GetRawUtf8Value(document.RootElement).ToArray();
    }

    // The value was validated when it entered Parley (or written by Parley's own writer).
    public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options)
        => writer.WriteRawValue(value, skipInputValidation: true);
}
