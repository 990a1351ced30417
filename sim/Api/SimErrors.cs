using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Parley.Sim.Api;

/// <summary>The errors the simulator answers, worded as OpenAI words them so clients parse them the same way.</summary>
internal static class SimErrors
{
    public const string InvalidRequest = "invalid_request_error";
    public const string ServerErrorType = "server_error";
    public const string RateLimitExceeded = "rate_limit_exceeded";
    public const string ContextLengthExceededCode = "context_length_exceeded";
    public const string ContentPolicyViolationCode = "content_policy_violation";

    public static readonly SimError InvalidJson = new(StatusCodes.Status400BadRequest,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. " +
        "The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)", InvalidRequest);

    public static readonly SimError MissingApiKey = new(StatusCodes.Status401Unauthorized,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        InvalidRequest);

    // The key itself is not echoed: the simulator never repeats a secret.
    public static readonly SimError InvalidApiKey = new(StatusCodes.Status401Unauthorized,
        "Incorrect API key provided. You can find your API key in the simulator's Simulator:ApiKeys setting.", InvalidRequest, null, "invalid_api_key");

    public static readonly SimError MissingModel = new(StatusCodes.Status400BadRequest, "you must provide a model parameter", InvalidRequest);

    public static readonly SimError ServerError = new(StatusCodes.Status500InternalServerError,
        "The server had an error while processing your request. Sorry about that!", ServerErrorType);

    public static readonly SimError BadGateway = new(StatusCodes.Status502BadGateway, "Bad gateway.", ServerErrorType);

    public static readonly SimError Overloaded = new(StatusCodes.Status503ServiceUnavailable,
        "The engine is currently overloaded, please try again later.", ServerErrorType);

    /// <summary>OpenAI's refusal by its safety system (see Simulator:ContentPolicyTrigger).</summary>
    public static readonly SimError ContentPolicyViolation = new(StatusCodes.Status400BadRequest,
        "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.",
        InvalidRequest, null, ContentPolicyViolationCode);

    public static SimError TooLarge(long limit) => new(StatusCodes.Status413PayloadTooLarge,
        $"Request body too large: the limit is {limit} bytes.", InvalidRequest, null, "request_too_large");

    public static SimError MissingParameter(string param) => new(StatusCodes.Status400BadRequest,
        $"Missing required parameter: '{param}'.", InvalidRequest, param, "missing_required_parameter");

    public static SimError InvalidType(string param, string expected, string got) => new(StatusCodes.Status400BadRequest,
        $"Invalid type for '{param}': expected {expected}, but got {got} instead.", InvalidRequest, param, "invalid_type");

    public static SimError EmptyArray(string param) => new(StatusCodes.Status400BadRequest,
        $"Invalid '{param}': empty array. Expected an array with minimum length 1, but got an empty array instead.", InvalidRequest, param, "empty_array");

    public static SimError BelowMinimum(string param, string minimum, string got, string code) => new(StatusCodes.Status400BadRequest,
        $"Invalid '{param}': value below minimum value. Expected a value >= {minimum}, but got {got} instead.", InvalidRequest, param, code);

    public static SimError AboveMaximum(string param, string maximum, string got, string code) => new(StatusCodes.Status400BadRequest,
        $"Invalid '{param}': value above maximum value. Expected a value <= {maximum}, but got {got} instead.", InvalidRequest, param, code);

    public static SimError InvalidValue(string? param, string message) => new(StatusCodes.Status400BadRequest, message, InvalidRequest, param, "invalid_value");

    public static SimError ModelNotFound(string model) => new(StatusCodes.Status404NotFound,
        $"The model `{model}` does not exist or you do not have access to it.", InvalidRequest, null, "model_not_found");

    public static SimError NotFound(HttpRequest request) => new(StatusCodes.Status404NotFound,
        $"Invalid URL ({request.Method} {request.Path})", InvalidRequest);

    /// <summary>OpenAI's refusal of a prompt that, with the completion it asks for, does not fit the model's window;
    /// without max tokens only the messages count.</summary>
    public static SimError ContextLengthExceeded(int window, int promptTokens, int? maxTokens) => new(StatusCodes.Status400BadRequest,
        maxTokens is { } completion
            ? string.Create(CultureInfo.InvariantCulture,
                $"This model's maximum context length is {window} tokens. However, you requested {(long)promptTokens + completion} tokens ({promptTokens} in the messages, {completion} in the completion). Please reduce the length of the messages or completion.")
            : string.Create(CultureInfo.InvariantCulture,
                $"This model's maximum context length is {window} tokens. However, your messages resulted in {promptTokens} tokens. Please reduce the length of the messages."),
        InvalidRequest, "messages", ContextLengthExceededCode);

    public static SimError RateLimited(string message) => new(StatusCodes.Status429TooManyRequests, message, RateLimitExceeded, null, RateLimitExceeded);

    public static Task WriteAsync(HttpContext context, SimError error)
    {
        context.Response.StatusCode = error.Status;
        if (error.Shape == ErrorShape.Azure)
        {
            var azure = new AzureErrorBody(new AzureErrorDetail(error.Code ?? "", error.Message));
            return context.Response.WriteAsJsonAsync(azure, SimJsonContext.Default.AzureErrorBody, "application/json", context.RequestAborted);
        }
        var body = new SimErrorBody(new SimErrorDetail(error.Message, error.Type, error.Param, error.Code));
        return context.Response.WriteAsJsonAsync(body, SimJsonContext.Default.SimErrorBody, "application/json", context.RequestAborted);
    }
}
