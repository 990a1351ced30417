using System.Net.Http.Headers;
using Parley.Silo.Api;
using Parley.Silo.Providers;

namespace Parley.Silo.Resilience;

/// <summary>What a refusal means for the call: retry here, try elsewhere, or answer the client.</summary>
internal enum FailureKind
{
    /// <summary>500/502/503/504/529 and other 5xx: retried with backoff, counted by the circuit breaker.</summary>
    Transient,

    /// <summary>429: retried after its Retry-After when that is short enough, else another deployment.</summary>
    RateLimited,

    /// <summary>401/403/404: the deployment (its keys, its model name) is wrong, not the request: another deployment.</summary>
    Deployment,

    /// <summary>400 <c>context_length_exceeded</c>: a deployment with a larger window may take it.</summary>
    ContextLength,

    /// <summary>400 on content policy: the model's configured alternative may take it.</summary>
    ContentPolicy,

    /// <summary>Any other 4xx: the client's mistake, the same everywhere; answered at once.</summary>
    Client,
}

/// <summary>An upstream's refusal, read whole (the response is already disposed): status, OpenAI-vocabulary error and
/// the retry hints to pass on.</summary>
internal sealed class UpstreamFailure
{
    private static readonly string[] ContentPolicyCodes = ["content_policy_violation", "content_filter"];

    private UpstreamFailure(int status, UpstreamError error, TimeSpan? retryAfter, KeyValuePair<string, string[]>[] retryHeaders, string provider)
    {
        Status = status;
        Error = error;
        RetryAfter = retryAfter;
        RetryHeaders = retryHeaders;
        Provider = provider;
        Kind = Classify(status, error);
    }

    public int Status { get; }

    public UpstreamError Error { get; }

    public TimeSpan? RetryAfter { get; }

    /// <summary>The upstream's x-ratelimit-*, Retry-After and retry-after-ms headers, relayed with a 429.</summary>
    public KeyValuePair<string, string[]>[] RetryHeaders { get; }

    public string Provider { get; }

    public FailureKind Kind { get; }

    public static UpstreamFailure From(UpstreamCall call, UpstreamError error, string provider, DateTimeOffset now)
    {
        var headers = call.Response.Headers;
        return new UpstreamFailure(call.StatusCode, error, UpstreamAnswers.RetryAfter(headers, now), RetryHeadersOf(headers), provider);
    }

    private static FailureKind Classify(int status, UpstreamError error) => status switch
    {
        429 => FailureKind.RateLimited,
        401 or 403 or 404 => FailureKind.Deployment,
        >= 500 => FailureKind.Transient,
        _ when error.Code == Chat.ChatErrors.ContextLengthExceededCode => FailureKind.ContextLength,
        _ when error.Code is { } code && ContentPolicyCodes.Contains(code, StringComparer.Ordinal) => FailureKind.ContentPolicy,
        _ => FailureKind.Client,
    };

    private static KeyValuePair<string, string[]>[] RetryHeadersOf(HttpResponseHeaders headers)
    {
        List<KeyValuePair<string, string[]>>? copied = null;
        foreach (var (name, values) in headers)
        {
            if (name.StartsWith(RateLimitHeaders.Prefix, StringComparison.OrdinalIgnoreCase)
                || name.Equals(RateLimitHeaders.RetryAfter, StringComparison.OrdinalIgnoreCase)
                || name.Equals(RateLimitHeaders.RetryAfterMs, StringComparison.OrdinalIgnoreCase))
            {
                (copied ??= []).Add(new(name, values.ToArray()));
            }
        }
        return copied is null ? [] : [.. copied];
    }
}
