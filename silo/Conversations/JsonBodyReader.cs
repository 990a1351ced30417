using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.Silo.Chat;

namespace Parley.Silo.Conversations;

/// <summary>A parsed JSON object body, or the error to answer. <see cref="Document"/> is null for an empty body.</summary>
internal readonly record struct JsonBody(JsonDocument? Document, IResult? Error) : IDisposable
{
    public JsonElement? Root => Document?.RootElement;

    public void Dispose() => Document?.Dispose();
}

/// <summary>Reads small JSON request bodies (conversations, admin) under the silo's body limit
/// (Parley:Limits:MaxRequestBodyBytes) and refuses anything but a JSON object in OpenAI's shape.</summary>
internal static class JsonBodyReader
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    public static async Task<JsonBody> ReadObjectAsync(HttpContext context, long maxBytes)
    {
        using var buffer = await RequestBodyReader.ReadAsync(context.Request, maxBytes, context.RequestAborted);
        if (buffer is null)
        {
            return new JsonBody(null, RequestErrors.TooLarge(maxBytes));
        }
        if (buffer.WrittenCount == 0)
        {
            return new JsonBody(null, null);
        }
        JsonDocument document;
        try
        {
            document = Parse(buffer.WrittenSpan);
        }
        catch (JsonException ex)
        {
            return new JsonBody(null, RequestErrors.MalformedJson(ex));
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = document.RootElement.ValueKind;
            document.Dispose();
            return new JsonBody(null, RequestErrors.NotAnObject(kind));
        }
        return new JsonBody(document, null);
    }

    // ParseValue copies what it needs, so the pooled buffer can go back to the pool; reading once more rejects
    // anything after the value (a second value, garbage).
    private static JsonDocument Parse(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, ReaderOptions);
        var document = JsonDocument.ParseValue(ref reader);
        try
        {
            if (reader.Read())
            {
                throw new JsonException("Unexpected data after the JSON value.");
            }
            return document;
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }
}
