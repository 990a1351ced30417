using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.Sim.Chat;

namespace Parley.Sim.Anthropic;

/// <summary>An error the Messages API answers with, before it is written.</summary>
internal sealed record AnthropicError(int Status, string Type, string Message);

/// <summary>The Messages API's errors: Anthropic's statuses and types, and its body
/// <c>{"type":"error","error":{"type","message"},"request_id"}</c>. Validation messages name the field by its path
/// (<c>messages.1.content.0.text: …</c>), as Anthropic's do.</summary>
internal static class AnthropicErrors
{
    public const string InvalidRequestType = "invalid_request_error";
    public const string AuthenticationType = "authentication_error";
    public const string NotFoundType = "not_found_error";
    public const string RequestTooLargeType = "request_too_large";
    public const string RateLimitType = "rate_limit_error";
    public const string ApiErrorType = "api_error";
    public const string OverloadedType = "overloaded_error";

    /// <summary>Anthropic's status for overloaded_error.</summary>
    public const int OverloadedStatus = 529;

    public static readonly AnthropicError InvalidJson = Invalid("The request body is not valid JSON.");

    public static readonly AnthropicError MissingApiKey = new(StatusCodes.Status401Unauthorized, AuthenticationType, "x-api-key header is required");

    // The key itself is not echoed: the simulator never repeats a secret.
    public static readonly AnthropicError InvalidApiKey = new(StatusCodes.Status401Unauthorized, AuthenticationType, "invalid x-api-key");

    public static readonly AnthropicError MissingVersion = Invalid("anthropic-version: header is required");

    public static readonly AnthropicError ApiError = new(StatusCodes.Status500InternalServerError, ApiErrorType, "Internal server error");

    public static readonly AnthropicError BadGateway = new(StatusCodes.Status502BadGateway, ApiErrorType, "Bad gateway");

    public static readonly AnthropicError Overloaded = new(OverloadedStatus, OverloadedType, "Overloaded");

    public static AnthropicError Invalid(string message) => new(StatusCodes.Status400BadRequest, InvalidRequestType, message);

    public static AnthropicError UnsupportedVersion(string version)
        => Invalid($"anthropic-version: '{version}' is not a valid version (the simulator serves {string.Join(", ", AnthropicVersions.Supported)})");

    public static AnthropicError TooLarge(long limit)
        => new(StatusCodes.Status413PayloadTooLarge, RequestTooLargeType, $"Request exceeds the maximum allowed number of bytes ({limit}).");

    public static AnthropicError ModelNotFound(string model) => new(StatusCodes.Status404NotFound, NotFoundType, $"model: {model}");

    public static AnthropicError RateLimited(string message) => new(StatusCodes.Status429TooManyRequests, RateLimitType, message);

    public static AnthropicError Required(string path) => Invalid($"{path}: Field required");

    public static AnthropicError WrongType(string path, string expected) => Invalid($"{path}: Input should be {expected}");

    /// <summary>Anthropic's refusal of a prompt that does not fit the model's window, or does not leave room for max_tokens.</summary>
    public static AnthropicError PromptTooLong(int window, int inputTokens, int maxTokens) => inputTokens > window
        ? Invalid($"prompt is too long: {inputTokens} tokens > {window} maximum")
        : Invalid($"input length and `max_tokens` exceed context limit: {inputTokens} + {maxTokens} > {window}, decrease input length or `max_tokens` and try again");

    public static async Task WriteAsync(HttpContext context, AnthropicError error, string requestId)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.ContentType = CompletionResponder.JsonContentType;
        var pipe = response.BodyWriter;
        using (var writer = new Utf8JsonWriter(pipe, CompletionJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "error"u8);
            writer.WriteStartObject("error"u8);
            writer.WriteString("type"u8, error.Type);
            writer.WriteString("message"u8, error.Message);
            writer.WriteEndObject();
            writer.WriteString("request_id"u8, requestId);
            writer.WriteEndObject();
        }
        await pipe.FlushAsync(context.RequestAborted);
    }
}
