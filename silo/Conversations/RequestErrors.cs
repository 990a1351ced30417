using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;

namespace Parley.Silo.Conversations;

/// <summary>Bad-input answers of the Conversations and admin APIs, in OpenAI's words and with the same codes as the
/// chat path (silo/Chat/ChatErrors), so a client sees one vocabulary.</summary>
internal static class RequestErrors
{
    public const string InvalidJsonCode = "invalid_json";
    public const string InvalidTypeCode = "invalid_type";
    public const string InvalidValueCode = "invalid_value";
    public const string MissingParameterCode = "missing_required_parameter";
    public const string UnknownParameterCode = "unknown_parameter";
    public const string RequestTooLargeCode = "request_too_large";

    public static IResult MalformedJson(JsonException exception)
        => ApiErrors.BadRequest($"We could not parse the JSON body of your request: {exception.Message} (The body must be a JSON object.)", code: InvalidJsonCode);

    public static IResult NotAnObject(JsonValueKind actual)
        => ApiErrors.BadRequest($"The request body must be a JSON object, but got {Describe(actual)}.", code: InvalidTypeCode);

    public static IResult TooLarge(long maxBytes)
        => ApiErrors.Result(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the limit of {maxBytes} bytes.",
            OpenAIErrorTypes.InvalidRequest, RequestTooLargeCode);

    public static IResult Missing(string param)
        => ApiErrors.BadRequest($"Missing required parameter: '{param}'.", param, MissingParameterCode);

    public static IResult Unknown(string param)
        => ApiErrors.BadRequest($"Unknown parameter: '{param}'.", param, UnknownParameterCode);

    public static IResult WrongType(string param, string expected, JsonValueKind actual)
        => ApiErrors.BadRequest($"Invalid type for '{param}': expected {expected}, but got {Describe(actual)} instead.", param, InvalidTypeCode);

    public static IResult InvalidValue(string param, string message)
        => ApiErrors.BadRequest(message, param, InvalidValueCode);

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
