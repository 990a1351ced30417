using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Parley.Silo.Api;

/// <summary>The refusals of a malformed request body, in OpenAI's words. Every API (chat, conversations, admin) uses
/// these, so a client sees one vocabulary whichever endpoint it calls.</summary>
internal static class InputErrors
{
    public const string InvalidJsonCode = "invalid_json";
    public const string InvalidTypeCode = "invalid_type";
    public const string InvalidValueCode = "invalid_value";
    public const string MissingParameterCode = "missing_required_parameter";
    public const string UnknownParameterCode = "unknown_parameter";
    public const string RequestTooLargeCode = "request_too_large";
    public const string EmptyArrayCode = "empty_array";
    public const string InvalidEncodingCode = "invalid_encoding";
    public const string InvalidBodyCode = "invalid_body";

    public static ApiError TooLarge(long maxBytes)
        => new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the limit of {maxBytes} bytes.", OpenAIErrorTypes.InvalidRequest, null, RequestTooLargeCode);

    public static ApiError MalformedJson(JsonException exception)
        => BadRequest($"We could not parse the JSON body of your request: {exception.Message} (The body must be a JSON object.)", null, InvalidJsonCode);

    /// <summary>A body that is not valid UTF-8, or holds an escape that is not valid UTF-16.</summary>
    public static ApiError InvalidText(string message)
        => BadRequest(message, null, InvalidEncodingCode);

    /// <summary>A body whose HTTP framing Kestrel refused (a malformed chunk, a body cut short, too slow, too large).</summary>
    public static ApiError UnreadableBody(BadHttpRequestException exception)
        => exception.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? new(StatusCodes.Status413PayloadTooLarge, "The request body is larger than the server accepts.", OpenAIErrorTypes.InvalidRequest, null, RequestTooLargeCode)
            : new(exception.StatusCode is >= 400 and < 500 ? exception.StatusCode : StatusCodes.Status400BadRequest,
                $"The request body could not be read: {exception.Message}", OpenAIErrorTypes.InvalidRequest, null, InvalidBodyCode);

    public static ApiError NotAnObject(JsonValueKind actual)
        => BadRequest($"The request body must be a JSON object, but got {Describe(actual)}.", null, InvalidTypeCode);

    public static ApiError Missing(string param)
        => BadRequest($"Missing required parameter: '{param}'.", param, MissingParameterCode);

    public static ApiError Unknown(string param)
        => BadRequest($"Unknown parameter: '{param}'.", param, UnknownParameterCode);

    public static ApiError WrongType(string param, string expected, JsonValueKind actual)
        => BadRequest($"Invalid type for '{param}': expected {expected}, but got {Describe(actual)} instead.", param, InvalidTypeCode);

    public static ApiError InvalidValue(string param, string message)
        => BadRequest(message, param, InvalidValueCode);

    /// <summary>The chat API answers <see cref="EmptyArrayCode"/> as OpenAI does; the Conversations API has always
    /// answered <see cref="InvalidValueCode"/> and passes it.</summary>
    public static ApiError EmptyArray(string param, string code = EmptyArrayCode)
        => BadRequest($"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty array instead.", param, code);

    public static ApiError BadRequest(string message, string? param, string? code)
        => new(StatusCodes.Status400BadRequest, message, OpenAIErrorTypes.InvalidRequest, param, code);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
