using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Parley.Silo.Cache;

/// <summary>The cache key of an upstream body: SHA-256 over the scope and the body normalised so that property order
/// and formatting do not matter. Top-level properties are sorted by name and every value is minified; nothing else is
/// rewritten (numbers, string escapes and the order inside values are significant), so two requests share a key only
/// if the upstream would see the same request. One reader pass finds the properties and the temperature.</summary>
internal static class ResponseCacheKey
{
    private const int InitialPropertyCapacity = 32;
    private const int HashBytes = 32;
    // Changing the normalisation changes this, so entries written by an older silo are never misread.
    private static ReadOnlySpan<byte> FormatTag => "parley-cache-v1\n"u8;
    private static ReadOnlySpan<byte> TemperatureName => "temperature"u8;
    // Outside strings a run of bytes ends at whitespace (dropped) or a quote (a string starts).
    private static readonly SearchValues<byte> OutsideStringStops = SearchValues.Create(" \t\r\n\""u8);

    /// <summary>False when <paramref name="body"/> is not a JSON object or its temperature is above
    /// <paramref name="maxTemperature"/> (the cache then stays out of the way, and nothing is hashed).
    /// <paramref name="temperature"/> is the request's sampling temperature, OpenAI's default when absent or null.</summary>
    public static bool TryCompute(ReadOnlySpan<byte> body, string? scopeUserId, double maxTemperature, out string key, out double temperature)
    {
        key = string.Empty;
        temperature = ResponseCacheOptions.UpstreamDefaultTemperature;
        var properties = ArrayPool<PropertyRange>.Shared.Rent(InitialPropertyCapacity);
        byte[]? scratch = null;
        try
        {
            if (!TryReadProperties(body, ref properties, out var count, ref temperature) || !(temperature <= maxTemperature))
            {
                return false;
            }
            SortByName(body, properties.AsSpan(0, count));
            // The normalised body is never longer than the body; the rest covers the tag, the scope and separators.
            var scopeBytes = scopeUserId is null ? 0 : Encoding.UTF8.GetMaxByteCount(scopeUserId.Length);
            scratch = ArrayPool<byte>.Shared.Rent(body.Length + FormatTag.Length + scopeBytes + 4);
            var length = WriteNormalised(body, properties.AsSpan(0, count), scopeUserId, scratch);
            Span<byte> hash = stackalloc byte[HashBytes];
            SHA256.HashData(scratch.AsSpan(0, length), hash);
            key = Convert.ToHexStringLower(hash);
            return true;
        }
        finally
        {
            ArrayPool<PropertyRange>.Shared.Return(properties);
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }

    private static bool TryReadProperties(ReadOnlySpan<byte> body, ref PropertyRange[] properties, out int count, ref double temperature)
    {
        count = 0;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                // The rewriter writes names unescaped, so the raw bytes between the quotes are the name.
                var nameStart = (int)reader.TokenStartIndex + 1;
                var nameLength = reader.ValueSpan.Length;
                var isTemperature = reader.ValueTextEquals(TemperatureName);
                reader.Read();
                var valueStart = (int)reader.TokenStartIndex;
                if (isTemperature)
                {
                    temperature = reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var t)
                        ? t
                        : ResponseCacheOptions.UpstreamDefaultTemperature;
                }
                reader.Skip();
                if (count == properties.Length)
                {
                    Grow(ref properties);
                }
                properties[count++] = new PropertyRange(nameStart, nameLength, valueStart, (int)reader.BytesConsumed - valueStart);
            }
            // Anything after the object but whitespace is invalid (the reader throws on it).
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void Grow(ref PropertyRange[] properties)
    {
        var grown = ArrayPool<PropertyRange>.Shared.Rent(properties.Length * 2);
        properties.AsSpan().CopyTo(grown);
        ArrayPool<PropertyRange>.Shared.Return(properties);
        properties = grown;
    }

    // A request has a dozen top-level properties at most: insertion sort beats anything that needs a comparer object,
    // and it is stable, so duplicate names keep their order.
    private static void SortByName(ReadOnlySpan<byte> body, Span<PropertyRange> properties)
    {
        for (var i = 1; i < properties.Length; i++)
        {
            var current = properties[i];
            var name = current.Name(body);
            var j = i - 1;
            while (j >= 0 && properties[j].Name(body).SequenceCompareTo(name) > 0)
            {
                properties[j + 1] = properties[j];
                j--;
            }
            properties[j + 1] = current;
        }
    }

    private static int WriteNormalised(ReadOnlySpan<byte> body, ReadOnlySpan<PropertyRange> properties, string? scopeUserId, Span<byte> output)
    {
        FormatTag.CopyTo(output);
        var length = FormatTag.Length;
        // The user id ends at a newline, which a JSON body cannot start with, so no id/body pair can collide.
        if (scopeUserId is not null)
        {
            output[length++] = (byte)'u';
            length += Encoding.UTF8.GetBytes(scopeUserId, output[length..]);
        }
        output[length++] = (byte)'\n';
        output[length++] = (byte)'{';
        for (var i = 0; i < properties.Length; i++)
        {
            if (i > 0)
            {
                output[length++] = (byte)',';
            }
            var property = properties[i];
            output[length++] = (byte)'"';
            property.Name(body).CopyTo(output[length..]);
            length += property.NameLength;
            output[length++] = (byte)'"';
            output[length++] = (byte)':';
            length += Minify(body.Slice(property.ValueStart, property.ValueLength), output[length..]);
        }
        output[length++] = (byte)'}';
        return length;
    }

    /// <summary>Copies valid JSON without the whitespace outside strings, a run at a time.</summary>
    private static int Minify(ReadOnlySpan<byte> json, Span<byte> output)
    {
        var written = 0;
        var i = 0;
        while (i < json.Length)
        {
            var rest = json[i..];
            var stop = rest.IndexOfAny(OutsideStringStops);
            var run = stop < 0 ? rest.Length : stop;
            rest[..run].CopyTo(output[written..]);
            written += run;
            i += run;
            if (stop < 0)
            {
                break;
            }
            if (rest[stop] != (byte)'"')
            {
                i++;
                continue;
            }
            // A string: copy through its closing quote, escapes (\" included) verbatim. Valid JSON closes it.
            output[written++] = (byte)'"';
            i++;
            while (true)
            {
                var inner = json[i..];
                var end = inner.IndexOfAny((byte)'"', (byte)'\\');
                inner[..(end + 1)].CopyTo(output[written..]);
                written += end + 1;
                i += end + 1;
                if (inner[end] == (byte)'"')
                {
                    break;
                }
                output[written++] = json[i++];
            }
        }
        return written;
    }

    private readonly record struct PropertyRange(int NameStart, int NameLength, int ValueStart, int ValueLength)
    {
        public ReadOnlySpan<byte> Name(ReadOnlySpan<byte> body) => body.Slice(NameStart, NameLength);
    }
}
