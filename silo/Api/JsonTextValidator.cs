using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Parley.Silo.Api;

/// <summary>Strict checks of a JSON request body's text, made once at the edge so that no endpoint ever meets text it
/// cannot turn into a .NET string: the bytes must be valid UTF-8, and every escaped string and property name must
/// unescape to valid UTF-16 (no lone surrogate such as <c>"\ud800"</c>). System.Text.Json parses both without
/// complaint and only throws later, when a value is read as a string, deep inside whichever feature reads it.</summary>
internal static class JsonTextValidator
{
    private const int StackCharLimit = 256;

    /// <summary>Null when the text is acceptable, else what is wrong with it (with the byte offset of the first fault).</summary>
    public static string? Validate(ReadOnlySpan<byte> json, JsonDocumentOptions options)
    {
        if (!Utf8.IsValid(json))
        {
            return $"The request body is not valid UTF-8 (an invalid byte sequence at byte offset {FirstInvalidByte(json)}).";
        }
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            MaxDepth = options.MaxDepth,
            CommentHandling = options.CommentHandling,
            AllowTrailingCommas = options.AllowTrailingCommas,
        });
        char[]? rented = null;
        Span<char> small = stackalloc char[StackCharLimit];
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped)
                {
                    continue;
                }
                // Unescaping never makes more chars than the escaped text has bytes.
                var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                Span<char> chars = length <= StackCharLimit ? small : Rent(ref rented, length);
                try
                {
                    reader.CopyString(chars);
                }
                catch (InvalidOperationException)
                {
                    var what = reader.TokenType == JsonTokenType.PropertyName ? "property name" : "string";
                    return $"The request body has a {what} that is not valid Unicode (a lone surrogate escape such as \\ud800) at byte offset {reader.TokenStartIndex}.";
                }
            }
        }
        catch (JsonException)
        {
            // Malformed JSON: the parser that follows reports it in its own words.
            return null;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
        return null;
    }

    private static int FirstInvalidByte(ReadOnlySpan<byte> utf8)
    {
        var offset = 0;
        while (offset < utf8.Length && Rune.DecodeFromUtf8(utf8[offset..], out _, out var consumed) == OperationStatus.Done)
        {
            offset += consumed;
        }
        return offset;
    }

    private static Span<char> Rent(ref char[]? rented, int length)
    {
        if (rented is null || rented.Length < length)
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
            rented = ArrayPool<char>.Shared.Rent(length);
        }
        return rented;
    }
}
