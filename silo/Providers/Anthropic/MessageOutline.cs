using System.Text.Json;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Where the parts of a non-streamed Anthropic message lie in its JSON (one forward pass, nothing decoded),
/// and its usage. <see cref="Id"/>, <see cref="Model"/> and <see cref="StopReason"/> are string tokens with their
/// quotes; <see cref="Content"/> is the whole array.</summary>
internal struct MessageOutline
{
    public Range Id;
    public Range Model;
    public Range StopReason;
    public Range Content;
    public AnthropicUsage Usage;

    /// <summary>False unless the body is a JSON object with <c>"type":"message"</c>, a string <c>id</c> and a
    /// <c>content</c> array.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out MessageOutline outline)
    {
        outline = default;
        var isMessage = false;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    isMessage = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("message"u8);
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    outline.Id = AnthropicContentBlock.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("model"u8))
                {
                    outline.Model = AnthropicContentBlock.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("stop_reason"u8))
                {
                    outline.StopReason = AnthropicContentBlock.ReadString(ref reader);
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    outline.Content = reader.TokenType == JsonTokenType.EndArray ? new Range(start, (int)reader.BytesConsumed) : default;
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        outline.Usage.Read(ref reader);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            // Anything after the object, or an object left open, makes the body something else than a message.
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return false;
            }
        }
        catch (JsonException)
        {
            return false;
        }
        return isMessage && AnthropicContentBlock.IsPresent(outline.Id) && AnthropicContentBlock.IsPresent(outline.Content);
    }
}
