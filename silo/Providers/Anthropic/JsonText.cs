using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Byte-level JSON helpers the translators share: strings are copied in their escaped form wherever the
/// target is a JSON string too, and unescaped only where their content must be read.</summary>
internal static class JsonText
{
    /// <summary>Relaxed escaping, as <see cref="Chat.ChatRequestRewriter"/> uses: non-ASCII text and base64 ('+', '/')
    /// are written as they are, not as <c>\uXXXX</c>; the bodies are JSON API payloads, never embedded in HTML.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The element's JSON text exactly as it was received (a string keeps its quotes and escapes).</summary>
    public static ReadOnlySpan<byte> Raw(JsonElement element) => JsonMarshal.GetRawUtf8Value(element);

    /// <summary>Whether a string element is the empty string, without unescaping it.</summary>
    public static bool IsEmptyString(JsonElement element) => element.ValueKind == JsonValueKind.String && Raw(element).Length == 2;

    /// <summary>The unescaped UTF-8 content of a string element. Without escapes it is a slice of the document (no copy);
    /// with escapes it is decoded into an array rented into <paramref name="rented"/>, which the caller returns with
    /// <see cref="Return"/>. False when the escapes name a lone surrogate, which is no text at all.</summary>
    public static bool TryGetUtf8Content(JsonElement stringElement, scoped ref byte[]? rented, out ReadOnlySpan<byte> content)
    {
        var raw = Raw(stringElement);
        content = raw[1..^1];
        if (content.IndexOf((byte)'\\') < 0)
        {
            return true;
        }
        // Unescaping never lengthens the text, so the escaped length is enough room.
        rented = ArrayPool<byte>.Shared.Rent(content.Length);
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        try
        {
            content = rented.AsSpan(0, reader.CopyString(rented));
            return true;
        }
        catch (InvalidOperationException)
        {
            content = default;
            return false;
        }
    }

    public static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Copies valid JSON without the whitespace between tokens: what OpenAI's <c>arguments</c> look like.
    /// Strings (and their escapes) are copied untouched, so nothing is re-encoded. <paramref name="destination"/> must be
    /// at least as long as <paramref name="json"/>; returns the length written.</summary>
    public static int CopyCompact(ReadOnlySpan<byte> json, Span<byte> destination)
    {
        var written = 0;
        var inString = false;
        var escaped = false;
        foreach (var b in json)
        {
            if (inString)
            {
                if (escaped)
                {
                    escaped = false;
                }
                else if (b == (byte)'\\')
                {
                    escaped = true;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }
            else if (b == (byte)'"')
            {
                inString = true;
            }
            destination[written++] = b;
        }
        return written;
    }

    /// <summary>Reads a string property of <paramref name="element"/>, or null when absent or not a string.</summary>
    public static string? GetString(JsonElement element, ReadOnlySpan<byte> name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
