using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Api;

/// <summary>The exceptions that mean the request was broken, not the server, whichever code met them: an HTTP body
/// Kestrel could not frame (a malformed chunk, a body cut short), JSON that does not parse, bytes that do not decode,
/// compressed or encoded data that is not what it claims. The edge answers these 4xx in OpenAI's shape; every other
/// exception stays a 500 (or a 503 for a cluster fault).</summary>
internal static class ClientFaults
{
    public static ApiError? Classify(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case BadHttpRequestException bad:
                    return InputErrors.UnreadableBody(bad);
                case JsonException json:
                    return InputErrors.MalformedJson(json);
                case DecoderFallbackException:
                    return InputErrors.InvalidText("The request holds bytes that are not valid UTF-8.");
                case Microsoft.AspNetCore.Antiforgery.AntiforgeryValidationException:
                    return InputErrors.BadRequest("The form's antiforgery token is missing or invalid.", null, InputErrors.InvalidBodyCode);
                case IOException { InnerException: OverflowException }:
                    // Kestrel's chunked-body parser overflows on a chunk size of more than 16 hex digits instead of
                    // refusing it as malformed.
                    return InputErrors.BadRequest("The request body could not be read: bad chunk size.", null, InputErrors.InvalidBodyCode);
                case InvalidDataException:
                    return InputErrors.BadRequest("The request body is not valid data of its declared type.", null, InputErrors.InvalidBodyCode);
            }
        }
        return null;
    }
}
