using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Parley.Silo.Api;
using Parley.Silo.Providers;
using Parley.Sim.RateLimits;

namespace Parley.Silo.Chat;

/// <summary>Turns an upstream's refusal or failure into Parley's answer: the client's own mistakes (4xx) keep their
/// status and message, rate limits keep their retry hints, and the upstream's own failures become 502/504.</summary>
internal static class UpstreamErrors
{
    // Enough for any real error body; a larger one is cut, never buffered whole.
    private const int MaxErrorBodyBytes = 64 * 1024;
    private const int MaxMessageLength = 2000;
    private static readonly string[] RetryHeaders = [RateLimitHeaders.RetryAfter, RateLimitHeaders.RetryAfterMs];

    public static Task WriteTimeoutAsync(HttpContext context, CatalogModel model)
        => ApiErrors.WriteAsync(context, StatusCodes.Status504GatewayTimeout,
            $"The upstream provider '{model.ProviderName}' did not answer within {model.Provider.Timeout.TotalSeconds:0.###} s.",
            OpenAIErrorTypes.Timeout, ChatErrors.UpstreamTimeoutCode);

    /// <summary>Every key of the provider is at its pacing limit (or out of rotation) for longer than the pool waits.</summary>
    public static Task WriteCapacityAsync(HttpContext context, CatalogModel model, TimeSpan retryAfter)
    {
        context.Response.Headers.RetryAfter = RateLimitHeaders.RetryAfterSeconds(retryAfter);
        return ApiErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests,
            $"The upstream provider '{model.ProviderName}' is at the capacity of its API keys; please try again in {OpenAIDuration.Format(retryAfter)}.",
            "requests", ChatErrors.UpstreamCapacityCode);
    }

    public static Task WriteUnreachableAsync(HttpContext context, CatalogModel model)
        => ApiErrors.WriteAsync(context, StatusCodes.Status502BadGateway,
            $"Could not reach the upstream provider '{model.ProviderName}'.", OpenAIErrorTypes.Upstream, ChatErrors.UpstreamErrorCode);

    public static Task WriteBrokenResponseAsync(HttpContext context, CatalogModel model)
        => ApiErrors.WriteAsync(context, StatusCodes.Status502BadGateway,
            $"The upstream provider '{model.ProviderName}' closed the connection before answering.", OpenAIErrorTypes.Upstream, ChatErrors.UpstreamErrorCode);

    /// <summary>Answers for a non-success upstream response. Returns the status written.</summary>
    public static async Task<int> WriteAsync(HttpContext context, HttpResponseMessage upstream, CatalogModel model, CancellationToken cancellationToken)
    {
        var upstreamStatus = (int)upstream.StatusCode;
        var error = await ReadErrorAsync(upstream, cancellationToken).ConfigureAwait(false);
        int status;
        string message, type;
        string? code = error.Code, param = error.Param;
        if (upstream.StatusCode == HttpStatusCode.TooManyRequests)
        {
            CopyRetryHeaders(upstream, context.Response);
            status = StatusCodes.Status429TooManyRequests;
            message = error.Message ?? $"The upstream provider '{model.ProviderName}' is rate limiting requests; retry later.";
            type = OpenAIErrorTypes.RateLimit;
            code ??= "rate_limit_exceeded";
        }
        else if (upstream.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            // The upstream refused Parley's own key: the caller did nothing wrong, and the upstream's message may echo
            // part of that key, so it is not passed on.
            status = StatusCodes.Status502BadGateway;
            message = $"The upstream provider '{model.ProviderName}' refused Parley's credentials (HTTP {upstreamStatus}).";
            type = OpenAIErrorTypes.Upstream;
            code = ChatErrors.UpstreamErrorCode;
            param = null;
        }
        else if (upstreamStatus is >= 400 and < 500)
        {
            status = upstreamStatus;
            message = error.Message ?? $"The upstream provider '{model.ProviderName}' refused the request (HTTP {upstreamStatus}).";
            type = error.Type ?? OpenAIErrorTypes.InvalidRequest;
        }
        else
        {
            status = upstreamStatus == StatusCodes.Status504GatewayTimeout ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway;
            message = error.Message is { } upstreamMessage
                ? $"The upstream provider '{model.ProviderName}' failed (HTTP {upstreamStatus}): {upstreamMessage}"
                : $"The upstream provider '{model.ProviderName}' failed (HTTP {upstreamStatus}).";
            type = OpenAIErrorTypes.Upstream;
            code = status == StatusCodes.Status504GatewayTimeout ? ChatErrors.UpstreamTimeoutCode : ChatErrors.UpstreamErrorCode;
            param = null;
        }
        await ApiErrors.WriteAsync(context, status, message, type, code, param).ConfigureAwait(false);
        return status;
    }

    private static void CopyRetryHeaders(HttpResponseMessage upstream, HttpResponse response)
    {
        foreach (var (name, values) in upstream.Headers)
        {
            if (name.StartsWith(RateLimitHeaders.Prefix, StringComparison.OrdinalIgnoreCase) || RetryHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                response.Headers[name] = values.ToArray();
            }
        }
    }

    private readonly record struct UpstreamError(string? Message, string? Type, string? Code, string? Param);

    /// <summary>Reads OpenAI's <c>{"error":{...}}</c>, the <c>{"error":"..."}</c> and <c>{"message":"..."}</c> shapes some
    /// compatible servers use; anything else (an HTML page from a proxy) yields no message.</summary>
    private static async Task<UpstreamError> ReadErrorAsync(HttpResponseMessage upstream, CancellationToken cancellationToken)
    {
        using var buffer = new PooledBufferWriter(4096);
        try
        {
            await using var body = await upstream.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            while (buffer.WrittenCount < MaxErrorBodyBytes)
            {
                var read = await body.ReadAsync(buffer.GetMemory(), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                buffer.Advance(read);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return default;
        }
        try
        {
            using var document = JsonDocument.Parse(buffer.WrittenMemory);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return default;
            }
            if (root.TryGetProperty("error"u8, out var error))
            {
                if (error.ValueKind == JsonValueKind.String)
                {
                    return new UpstreamError(Truncate(error.GetString()), null, null, null);
                }
                if (error.ValueKind == JsonValueKind.Object)
                {
                    return new UpstreamError(Truncate(Text(error, "message"u8)), Text(error, "type"u8), Text(error, "code"u8), Text(error, "param"u8));
                }
            }
            return new UpstreamError(Truncate(Text(root, "message"u8)), null, null, null);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static string? Text(JsonElement element, ReadOnlySpan<byte> name)
        => element.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    private static string? Truncate(string? message)
        => message is { Length: > MaxMessageLength } ? message[..MaxMessageLength] + "…" : message is { Length: 0 } ? null : message;
}
