using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.Silo.Chat;

namespace Parley.Silo.Api;

/// <summary>A JSON object request body: the pooled bytes and the document parsed over them, or the error to answer.
/// <see cref="Document"/> is null for an empty body where one is allowed. The document points into the pooled bytes,
/// so both live until <see cref="Dispose"/>.</summary>
internal readonly record struct JsonBody(PooledBufferWriter? Buffer, JsonDocument? Document, ApiError? Error) : IDisposable
{
    public JsonElement? Root => Document?.RootElement;

    /// <summary>The body's size in bytes.</summary>
    public int Length => Buffer?.WrittenCount ?? 0;

    /// <summary>For a body whose only field is <paramref name="name"/>: the body's own error first; then any other
    /// field is refused rather than ignored, each occurrence is parsed in order, and a required field that is absent
    /// (or an absent body) is refused as missing. A parse that returns neither value nor error (an explicit null of an
    /// optional field) changes nothing.</summary>
    public (T? Value, ApiError? Error) ReadSingleField<T>(string name, bool required, Func<JsonElement, (T? Value, ApiError? Error)> parse)
        where T : class
    {
        if (Error is not null)
        {
            return (null, Error);
        }
        T? value = null;
        foreach (var property in Root?.EnumerateObject() ?? default)
        {
            if (property.Name != name)
            {
                return (null, InputErrors.Unknown(property.Name));
            }
            var (parsed, error) = parse(property.Value);
            if (error is not null)
            {
                return (null, error);
            }
            value = parsed ?? value;
        }
        return required && value is null ? (null, InputErrors.Missing(name)) : (value, null);
    }

    public void Dispose()
    {
        Document?.Dispose();
        Buffer?.Dispose();
    }
}

/// <summary>Reads a whole JSON request body under the silo's limit (Parley:Limits:MaxRequestBodyBytes) and refuses
/// anything but one JSON object, in OpenAI's shape, for every API.</summary>
internal static class JsonBodyReader
{
    /// <summary>How every request body is parsed: the default depth limit (64; deeper nesting is refused, never
    /// recursed into), and a property named twice refused rather than resolved. Parley reads a body once and forwards
    /// it upstream; with duplicates its checks (policy, model, conversation) could see one value and the upstream's parser
    /// another.</summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false };

    /// <param name="allowEmpty">Whether an empty body is an absent one (optional bodies) rather than malformed JSON.</param>
    public static async Task<JsonBody> ReadObjectAsync(HttpContext context, long maxBytes, bool allowEmpty = true)
    {
        PooledBufferWriter? buffer;
        try
        {
            buffer = await RequestBodyReader.ReadAsync(context.Request, maxBytes, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel refused the body's framing: a malformed chunk, a body shorter than its Content-Length, a client
            // too slow to send it. Its status (400, 408, 413) with OpenAI's shape.
            return new JsonBody(null, null, InputErrors.UnreadableBody(e));
        }
        catch (IOException e) when (!context.RequestAborted.IsCancellationRequested && ClientFaults.Classify(e) is { } fault)
        {
            return new JsonBody(null, null, fault);
        }
        if (buffer is null)
        {
            return new JsonBody(null, null, InputErrors.TooLarge(maxBytes));
        }
        if (buffer.WrittenCount == 0 && allowEmpty)
        {
            buffer.Dispose();
            return default;
        }
        if (JsonTextValidator.Validate(buffer.WrittenSpan, DocumentOptions) is { } invalidText)
        {
            buffer.Dispose();
            return new JsonBody(null, null, InputErrors.InvalidText(invalidText));
        }
        JsonDocument document;
        try
        {
            // Parsed in place, without a copy of the body; Parse also refuses anything after the value.
            document = JsonDocument.Parse(buffer.WrittenMemory, DocumentOptions);
        }
        catch (JsonException e)
        {
            buffer.Dispose();
            return new JsonBody(null, null, InputErrors.MalformedJson(e));
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = document.RootElement.ValueKind;
            document.Dispose();
            buffer.Dispose();
            return new JsonBody(null, null, InputErrors.NotAnObject(kind));
        }
        return new JsonBody(buffer, document, null);
    }
}
