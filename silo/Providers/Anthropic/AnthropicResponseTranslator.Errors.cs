using System.Text.Json;

namespace Parley.Silo.Providers.Anthropic;

internal static partial class AnthropicResponseTranslator
{
    // A message longer than this is cut: it is for people, and a proxy's error page must not flood a client.
    private const int MaxMessageLength = 2000;

    /// <summary>Reads a non-success Anthropic answer, <c>{"type":"error","error":{"type","message"}}</c>, into Parley's
    /// answer (see <see cref="AnthropicErrorMapping"/>). Never throws: a body that is empty, HTML, truncated or of
    /// another shape yields an answer decided by <paramref name="status"/> alone.</summary>
    public static AnthropicError ReadError(int status, ReadOnlySpan<byte> body)
    {
        var (type, message, detailCode) = TryReadErrorObject(body);
        return AnthropicErrorMapping.Map(status, type, message, detailCode);
    }

    /// <summary>The error inside a streamed <c>error</c> event's data, or a generic one if unreadable.</summary>
    internal static AnthropicError ReadStreamError(ReadOnlySpan<byte> eventData)
    {
        var (type, message, detailCode) = TryReadErrorObject(eventData);
        return AnthropicErrorMapping.Map(null, type, message, detailCode);
    }

    private static (string? Type, string? Message, string? DetailCode) TryReadErrorObject(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isError = reader.ValueTextEquals("error"u8);
                reader.Read();
                if (isError && reader.TokenType == JsonTokenType.StartObject)
                {
                    return ReadErrorFields(ref reader);
                }
                // Some proxies answer {"error":"..."}: a message without a type.
                if (isError && reader.TokenType == JsonTokenType.String)
                {
                    return (null, Truncate(reader.GetString()), null);
                }
                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Truncated or not JSON: whatever was read before the damage is not trusted either.
        }
        return default;
    }

    private static (string? Type, string? Message, string? DetailCode) ReadErrorFields(ref Utf8JsonReader reader)
    {
        string? type = null, message = null, detailCode = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = reader.TokenType == JsonTokenType.String ? Truncate(reader.GetString()) : null;
            }
            else if (reader.ValueTextEquals("details"u8))
            {
                reader.Read();
                detailCode = reader.TokenType == JsonTokenType.StartObject ? ReadDetailCode(ref reader) : null;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return (type is { Length: > 0 } ? type : null, message, detailCode);
    }

    /// <summary>Anthropic's <c>error.details.error_code</c> (e.g. <c>enforced_spend_limit_reached</c>). Leaves the reader
    /// on the details object's EndObject.</summary>
    private static string? ReadDetailCode(ref Utf8JsonReader reader)
    {
        string? code = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCode = reader.ValueTextEquals("error_code"u8);
            reader.Read();
            if (isCode && reader.TokenType == JsonTokenType.String)
            {
                code = reader.GetString();
            }
            reader.Skip();
        }
        return code;
    }

    private static string? Truncate(string? message)
        => message is { Length: > MaxMessageLength } ? message[..MaxMessageLength] + "…" : message is { Length: 0 } ? null : message;
}
