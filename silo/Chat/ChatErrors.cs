using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;

namespace Parley.Silo.Chat;

/// <summary>The refusals of <c>/v1/chat/completions</c>, worded like OpenAI's so SDK users recognise them.</summary>
internal static class ChatErrors
{
    public const string RequestTooLargeCode = "request_too_large";
    public const string ModelNotFoundCode = "model_not_found";
    public const string InvalidConversationIdCode = Conversations.ConversationIds.InvalidIdCode;
    public const string ConversationNotFoundCode = "conversation_not_found";
    public const string UpstreamErrorCode = "upstream_error";
    public const string UpstreamTimeoutCode = "upstream_timeout";
    public const string UpstreamStreamCutCode = "upstream_stream_cut";
    public const string InvalidJsonCode = "invalid_json";
    public const string InvalidTypeCode = "invalid_type";
    public const string InvalidValueCode = "invalid_value";
    public const string MissingParameterCode = "missing_required_parameter";
    public const string EmptyArrayCode = "empty_array";

    public static ChatRequestError TooLarge(long maxBytes)
        => new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than the limit of {maxBytes} bytes.", OpenAIErrorTypes.InvalidRequest, null, RequestTooLargeCode);

    public static ChatRequestError MalformedJson(JsonException exception)
        => new(StatusCodes.Status400BadRequest,
            $"We could not parse the JSON body of your request: {exception.Message} (The body must be a JSON object; see https://platform.openai.com/docs/api-reference/chat/create.)",
            OpenAIErrorTypes.InvalidRequest, null, InvalidJsonCode);

    public static ChatRequestError NotAnObject()
        => new(StatusCodes.Status400BadRequest, "The request body must be a JSON object.", OpenAIErrorTypes.InvalidRequest, null, InvalidTypeCode);

    public static ChatRequestError Missing(string param)
        => new(StatusCodes.Status400BadRequest, $"Missing required parameter: '{param}'.", OpenAIErrorTypes.InvalidRequest, param, MissingParameterCode);

    public static ChatRequestError WrongType(string param, string expected, JsonValueKind actual)
        => new(StatusCodes.Status400BadRequest, $"Invalid type for '{param}': expected {expected}, but got {Describe(actual)} instead.",
            OpenAIErrorTypes.InvalidRequest, param, InvalidTypeCode);

    public static ChatRequestError InvalidValue(string param, string message)
        => new(StatusCodes.Status400BadRequest, message, OpenAIErrorTypes.InvalidRequest, param, InvalidValueCode);

    public static ChatRequestError EmptyArray(string param)
        => new(StatusCodes.Status400BadRequest, $"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            OpenAIErrorTypes.InvalidRequest, param, EmptyArrayCode);

    public static ChatRequestError ModelNotFound(string model)
        => new(StatusCodes.Status404NotFound, $"The model `{model}` does not exist or you do not have access to it.",
            OpenAIErrorTypes.InvalidRequest, "model", ModelNotFoundCode);

    public static ChatRequestError InvalidConversationId(string param, string message)
        => new(StatusCodes.Status400BadRequest, message, OpenAIErrorTypes.InvalidRequest, param, InvalidConversationIdCode);

    public static ChatRequestError ConversationNotFound(string id)
        => new(StatusCodes.Status404NotFound, $"Conversation '{id}' was not found.", OpenAIErrorTypes.InvalidRequest, "conversation", ConversationNotFoundCode);

    public static Task WriteAsync(HttpContext context, ChatRequestError error)
        => ApiErrors.WriteAsync(context, error.Status, error.Message, error.Type, error.Code, error.Param);

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
