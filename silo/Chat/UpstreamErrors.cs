using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;
using Parley.Silo.Resilience;
using Parley.Sim.RateLimits;

namespace Parley.Silo.Chat;

/// <summary>Turns an upstream's refusal or failure into Parley's answer: the client's own mistakes (4xx) keep their
/// status and message, rate limits keep their retry hints, and the upstream's own failures become 502/503/504.</summary>
internal static class UpstreamErrors
{
    public const string UnavailableCode = "upstream_unavailable";

    public static Task WriteTimeoutAsync(HttpContext context, string provider)
        => ApiErrors.WriteAsync(context, StatusCodes.Status504GatewayTimeout,
            $"The upstream provider '{provider}' did not answer in time.", OpenAIErrorTypes.Timeout, ChatErrors.UpstreamTimeoutCode);

    /// <summary>Every key of every deployment is at its pacing limit (or out of rotation) for longer than the pools wait.</summary>
    public static Task WriteCapacityAsync(HttpContext context, string provider, TimeSpan retryAfter)
    {
        context.Response.Headers.RetryAfter = RateLimitHeaders.RetryAfterSeconds(retryAfter);
        return ApiErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests,
            $"The upstream provider '{provider}' is at the capacity of its API keys; please try again in {OpenAIDuration.Format(retryAfter)}.",
            "requests", ChatErrors.UpstreamCapacityCode);
    }

    /// <summary>Every deployment of the model has its circuit open.</summary>
    public static Task WriteUnavailableAsync(HttpContext context, string model, TimeSpan retryAfter)
    {
        context.Response.Headers.RetryAfter = RateLimitHeaders.RetryAfterSeconds(retryAfter);
        return ApiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
            $"Every deployment of model '{model}' is failing and resting; please try again in {OpenAIDuration.Format(retryAfter)}.",
            OpenAIErrorTypes.Upstream, UnavailableCode);
    }

    public static Task WriteUnreachableAsync(HttpContext context, string provider)
        => ApiErrors.WriteAsync(context, StatusCodes.Status502BadGateway,
            $"Could not reach the upstream provider '{provider}'.", OpenAIErrorTypes.Upstream, ChatErrors.UpstreamErrorCode);

    public static Task WriteBrokenResponseAsync(HttpContext context, string provider)
        => ApiErrors.WriteAsync(context, StatusCodes.Status502BadGateway,
            $"The upstream provider '{provider}' closed the connection before answering.", OpenAIErrorTypes.Upstream, ChatErrors.UpstreamErrorCode);

    /// <summary>Answers an upstream refusal. Returns the status written.</summary>
    public static async Task<int> WriteAsync(HttpContext context, UpstreamFailure failure)
    {
        var (upstreamStatus, error, provider) = (failure.Status, failure.Error, failure.Provider);
        int status;
        string message, type;
        string? code = error.Code, param = error.Param;
        if (upstreamStatus == StatusCodes.Status429TooManyRequests)
        {
            foreach (var (name, values) in failure.RetryHeaders)
            {
                context.Response.Headers[name] = values;
            }
            status = StatusCodes.Status429TooManyRequests;
            message = error.Message ?? $"The upstream provider '{provider}' is rate limiting requests; retry later.";
            type = OpenAIErrorTypes.RateLimit;
            code ??= "rate_limit_exceeded";
        }
        else if (upstreamStatus is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            // The upstream refused Parley's own key: the caller did nothing wrong, and the upstream's message may echo
            // part of that key, so it is not passed on.
            status = StatusCodes.Status502BadGateway;
            message = $"The upstream provider '{provider}' refused Parley's credentials (HTTP {upstreamStatus}).";
            type = OpenAIErrorTypes.Upstream;
            code = ChatErrors.UpstreamErrorCode;
            param = null;
        }
        else if (upstreamStatus is >= 400 and < 500)
        {
            status = upstreamStatus;
            message = error.Message ?? $"The upstream provider '{provider}' refused the request (HTTP {upstreamStatus}).";
            type = error.Type ?? OpenAIErrorTypes.InvalidRequest;
        }
        else
        {
            status = upstreamStatus == StatusCodes.Status504GatewayTimeout ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
            message = error.Message is { } upstreamMessage
                ? $"The upstream provider '{provider}' failed (HTTP {upstreamStatus}): {upstreamMessage}"
                : $"The upstream provider '{provider}' failed (HTTP {upstreamStatus}).";
            type = OpenAIErrorTypes.Upstream;
            code = status == StatusCodes.Status504GatewayTimeout ? ChatErrors.UpstreamTimeoutCode : ChatErrors.UpstreamErrorCode;
            param = null;
        }
        await ApiErrors.WriteAsync(context, status, message, type, code, param).ConfigureAwait(false);
        return status;
    }
}
