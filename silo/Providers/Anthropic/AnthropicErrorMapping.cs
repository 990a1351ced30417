using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;
using Parley.Silo.Chat;

namespace Parley.Silo.Providers.Anthropic;

/// <summary>Maps Anthropic's error types to Parley's answer, following <see cref="UpstreamErrors"/>: the client's own
/// mistakes (4xx) keep their status and message, rate limits stay 429, refusals of Parley's own credentials or account
/// and Anthropic's own failures become 5xx.</summary>
/// <remarks>
/// <list type="table">
/// <item><term><c>invalid_request_error</c> (400)</term><description>400 <c>invalid_request_error</c>; code
/// <c>context_length_exceeded</c> when the prompt is too long, <c>content_policy_violation</c> when output was blocked
/// by a content policy.</description></item>
/// <item><term><c>authentication_error</c> (401), <c>permission_error</c> (403), <c>billing_error</c> (402)</term>
/// <description>502 <c>upstream_error</c>: Parley's key or account, not the caller, is at fault.</description></item>
/// <item><term><c>not_found_error</c> (404)</term><description>404 <c>invalid_request_error</c>, code
/// <c>model_not_found</c> when the model is unknown.</description></item>
/// <item><term><c>request_too_large</c> (413)</term><description>413, code <c>request_too_large</c>.</description></item>
/// <item><term><c>rate_limit_error</c> (429)</term><description>429 <c>rate_limit_error</c>, code
/// <c>rate_limit_exceeded</c> (<c>insufficient_quota</c> for a spend limit).</description></item>
/// <item><term><c>api_error</c> (500)</term><description>502 <c>upstream_error</c>.</description></item>
/// <item><term><c>timeout_error</c> (504)</term><description>504 <c>timeout_error</c>, code <c>upstream_timeout</c>.</description></item>
/// <item><term><c>overloaded_error</c> (529)</term><description>503 <c>upstream_error</c>, code
/// <c>upstream_overloaded</c>: retryable, as OpenAI SDKs treat 503.</description></item>
/// </list>
/// </remarks>
internal static class AnthropicErrorMapping
{
    public const string OverloadedCode = "upstream_overloaded";
    public const string ContentPolicyCode = "content_policy_violation";
    public const string RateLimitCode = "rate_limit_exceeded";
    public const string InsufficientQuotaCode = "insufficient_quota";
    public const string NotFoundCode = "not_found";
    private const string Provider = "Anthropic";

    /// <summary>Anthropic's request fields that the client sent under the same (or an obvious) name: a message naming
    /// one of them (<c>"max_tokens: ..."</c>) yields its <c>param</c>. Message indexes differ between the two
    /// bodies, so <c>messages.3.content</c> is reported as <c>messages</c>.</summary>
    private static readonly (string Anthropic, string OpenAI)[] SharedParams =
    [
        ("model", "model"), ("max_tokens", "max_tokens"), ("temperature", "temperature"), ("top_p", "top_p"),
        ("stop_sequences", "stop"), ("tools", "tools"), ("tool_choice", "tool_choice"), ("messages", "messages"),
        ("system", "messages"), ("metadata", "user"),
    ];

    /// <param name="status">Anthropic's HTTP status, or null for an error event inside a stream.</param>
    public static AnthropicError Map(int? status, string? type, string? message, string? detailCode)
    {
        var kind = type ?? "";
        var effective = status ?? StatusOf(kind);
        if (kind is "authentication_error" or "permission_error" or "billing_error" || effective is 401 or 402 or 403)
        {
            return new AnthropicError(StatusCodes.Status502BadGateway,
                $"The upstream provider '{Provider}' refused Parley's credentials or account ({Describe(status, type)}).",
                OpenAIErrorTypes.Upstream, ChatErrors.UpstreamErrorCode, null, type, message);
        }
        if (kind == "rate_limit_error" || effective == 429)
        {
            var spendLimit = detailCode == "enforced_spend_limit_reached";
            return new AnthropicError(StatusCodes.Status429TooManyRequests,
                message ?? $"The upstream provider '{Provider}' is rate limiting requests; retry later.",
                OpenAIErrorTypes.RateLimit, spendLimit ? InsufficientQuotaCode : RateLimitCode, null, type, message);
        }
        if (kind == "overloaded_error" || effective == 529)
        {
            return Failure(StatusCodes.Status503ServiceUnavailable, OpenAIErrorTypes.Upstream, OverloadedCode, status, type, message);
        }
        if (kind == "timeout_error" || effective == 504)
        {
            return Failure(StatusCodes.Status504GatewayTimeout, OpenAIErrorTypes.Timeout, ChatErrors.UpstreamTimeoutCode, status, type, message);
        }
        if (effective is >= 400 and < 500 && kind != "api_error")
        {
            return Refusal(effective, kind, type, message);
        }
        return Failure(StatusCodes.Status502BadGateway, OpenAIErrorTypes.Upstream, ChatErrors.UpstreamErrorCode, status, type, message);
    }

    /// <summary>The client's own mistake: passed on with Anthropic's message.</summary>
    private static AnthropicError Refusal(int status, string kind, string? type, string? message)
    {
        var param = ParamOf(message);
        string? code = (kind, status) switch
        {
            ("request_too_large", _) or (_, 413) => InputErrors.RequestTooLargeCode,
            ("not_found_error", _) or (_, 404) => param == "model" ? ChatErrors.ModelNotFoundCode : NotFoundCode,
            _ => null,
        };
        if (message is not null && code is null)
        {
            code = message.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase)
                || message.Contains("exceed context limit", StringComparison.OrdinalIgnoreCase)
                || message.Contains("context window", StringComparison.OrdinalIgnoreCase)
                ? ChatErrors.ContextLengthExceededCode
                : message.Contains("content filtering policy", StringComparison.OrdinalIgnoreCase)
                    || message.Contains("content policy", StringComparison.OrdinalIgnoreCase)
                    ? ContentPolicyCode
                    : null;
        }
        return new AnthropicError(status, message ?? $"The upstream provider '{Provider}' refused the request (HTTP {status}).",
            OpenAIErrorTypes.InvalidRequest, code, param, type, message);
    }

    private static AnthropicError Failure(int answer, string openAIType, string code, int? status, string? type, string? message)
        => new(answer, message is null
                ? $"The upstream provider '{Provider}' failed ({Describe(status, type)})."
                : $"The upstream provider '{Provider}' failed ({Describe(status, type)}): {message}",
            openAIType, code, null, type, message);

    private static string Describe(int? status, string? type)
        => (status, type) switch
        {
            ({ } s, { } t) => $"HTTP {s}, {t}",
            ({ } s, null) => $"HTTP {s}",
            (null, { } t) => $"{t} during the stream",
            _ => "during the stream",
        };

    /// <summary>The status Anthropic gives each error type, for errors that arrive inside a stream.</summary>
    private static int StatusOf(string type) => type switch
    {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    };

    private static string? ParamOf(string? message)
    {
        if (message is null)
        {
            return null;
        }
        foreach (var (anthropic, openAI) in SharedParams)
        {
            if (message.Length > anthropic.Length && message.StartsWith(anthropic, StringComparison.Ordinal)
                && message[anthropic.Length] is ':' or '.')
            {
                return openAI;
            }
        }
        return null;
    }
}
