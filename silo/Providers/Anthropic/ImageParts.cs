using System.Text;
using System.Text.Json;
using Parley.Silo.Api;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>OpenAI's <c>image_url</c> parts as Anthropic image blocks: a base64 data URL becomes a <c>base64</c>
/// source (media type and data split out of the URL), an http(s) URL a <c>url</c> source, anything else a 400.</summary>
internal static class ImageParts
{
    private static ReadOnlySpan<byte> DataScheme => "data:"u8;
    private static ReadOnlySpan<byte> Base64Marker => ";base64"u8;

    /// <summary>Writes the image block for one <c>image_url</c> part of a user message.</summary>
    public static ApiError? Write(ref AnthropicTurns turns, JsonElement part, MessagePath path, int index)
    {
        if (!part.TryGetProperty("image_url"u8, out var image))
        {
            return InputErrors.Missing(path.Part(index, ".image_url"));
        }
        // Some clients send the URL itself instead of {url, detail}; detail has no Anthropic counterpart.
        var url = image;
        if (image.ValueKind == JsonValueKind.Object && !image.TryGetProperty("url"u8, out url))
        {
            return InputErrors.Missing(path.Part(index, ".image_url.url"));
        }
        if (url.ValueKind != JsonValueKind.String)
        {
            return InputErrors.WrongType(path.Part(index, ".image_url.url"), "a string", url.ValueKind);
        }
        byte[]? rented = null;
        try
        {
            if (!JsonText.TryGetUtf8Content(url, ref rented, out var text))
            {
                return InputErrors.InvalidValue(path.Part(index, ".image_url.url"), $"Invalid '{path.Part(index, ".image_url.url")}': not a valid URL.");
            }
            var writer = turns.Writer;
            if (StartsWithIgnoreCase(text, DataScheme))
            {
                var comma = text.IndexOf((byte)',');
                var header = comma < 0 ? default : text[DataScheme.Length..comma];
                var semicolon = header.IndexOf((byte)';');
                if (semicolon <= 0 || !EndsWithIgnoreCase(header, Base64Marker))
                {
                    return InputErrors.InvalidValue(path.Part(index, ".image_url.url"),
                        $"Invalid '{path.Part(index, ".image_url.url")}': a data URL must look like 'data:image/png;base64,<data>'.");
                }
                turns.StartBlock(MessageRole.User);
                writer.WriteStartObject();
                writer.WriteString("type"u8, "image"u8);
                writer.WriteStartObject("source"u8);
                writer.WriteString("type"u8, "base64"u8);
                writer.WriteString("media_type"u8, header[..semicolon]);
                writer.WriteString("data"u8, text[(comma + 1)..]);
                writer.WriteEndObject();
                writer.WriteEndObject();
                return null;
            }
            if (!StartsWithIgnoreCase(text, "https://"u8) && !StartsWithIgnoreCase(text, "http://"u8))
            {
                return InputErrors.InvalidValue(path.Part(index, ".image_url.url"),
                    $"Invalid '{path.Part(index, ".image_url.url")}': expected a data URL or an http(s) URL.");
            }
            turns.StartBlock(MessageRole.User);
            writer.WriteStartObject();
            writer.WriteString("type"u8, "image"u8);
            writer.WriteStartObject("source"u8);
            writer.WriteString("type"u8, "url"u8);
            writer.WritePropertyName("url"u8);
            writer.WriteRawValue(JsonText.Raw(url), skipInputValidation: true);
            writer.WriteEndObject();
            writer.WriteEndObject();
            return null;
        }
        finally
        {
            JsonText.Return(rented);
        }
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> asciiPrefix)
        => text.Length >= asciiPrefix.Length && Ascii.EqualsIgnoreCase(text[..asciiPrefix.Length], asciiPrefix);

    private static bool EndsWithIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> asciiSuffix)
        => text.Length >= asciiSuffix.Length && Ascii.EqualsIgnoreCase(text[^asciiSuffix.Length..], asciiSuffix);
}
