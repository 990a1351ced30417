using System.Text.Json;
using Parley.Silo.Chat;

namespace Parley.Silo.Providers.Wire;

/// <summary>Reading an upstream's answer body: passed through as it is when it succeeded, read (bounded) and parsed into
/// OpenAI's error fields when it refused.</summary>
internal static class UpstreamBodies
{
    // Enough for any real error body; a larger one is cut, never buffered whole.
    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxMessageLength = 2000;

    public static async ValueTask<UpstreamBodyStream> PassThroughAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return new UpstreamBodyStream(stream, response.Content.Headers.ContentType?.ToString(), response.Content.Headers.ContentLength);
    }

    /// <summary>Up to 64 KiB of a refusal's body; a body that fails mid-read yields what had arrived.</summary>
    public static async ValueTask<PooledBufferWriter> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var buffer = new PooledBufferWriter(4096);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await ReadBoundedAsync(body, buffer, MaxErrorBodyBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            // What arrived is all there is to parse.
        }
        return buffer;
    }

    /// <summary>Reads <paramref name="body"/> into <paramref name="buffer"/> until it ends or holds at least
    /// <paramref name="maxBytes"/>; false when the bound stopped it.</summary>
    public static async ValueTask<bool> ReadBoundedAsync(Stream body, PooledBufferWriter buffer, int maxBytes, CancellationToken cancellationToken)
    {
        while (buffer.WrittenCount < maxBytes)
        {
            var read = await body.ReadAsync(buffer.GetMemory(), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return true;
            }
            buffer.Advance(read);
        }
        return false;
    }

    /// <summary>OpenAI's <c>{"error":{...}}</c>, the <c>{"error":"..."}</c> and <c>{"message":"..."}</c> shapes some
    /// compatible servers use; anything else (an HTML page from a proxy) yields no fields.</summary>
    public static UpstreamError ParseOpenAI(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return default;
            }
            if (root.TryGetProperty("error"u8, out var error))
            {
                if (error.ValueKind == JsonValueKind.String)
                {
                    return new UpstreamError(Truncate(error.GetString()), null, null, null);
                }
                if (error.ValueKind == JsonValueKind.Object)
                {
                    return new UpstreamError(Truncate(Text(error, "message"u8)), Text(error, "type"u8), Text(error, "code"u8), Text(error, "param"u8));
                }
            }
            return new UpstreamError(Truncate(Text(root, "message"u8)), null, null, null);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static string? Text(JsonElement element, ReadOnlySpan<byte> name)
        => element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    private static string? Truncate(string? message)
        => message is { Length: > MaxMessageLength } ? message[..MaxMessageLength] + "…" : message is { Length: 0 } ? null : message;
}
