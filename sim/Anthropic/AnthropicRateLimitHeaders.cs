using System.Globalization;
using Microsoft.AspNetCore.Http;
using Parley.Sim.RateLimits;

namespace Parley.Sim.Anthropic;

/// <summary>Anthropic's rate-limit response headers: limit, remaining and reset (an RFC 3339 UTC time, whole seconds
/// rounded up) for requests and for tokens, and retry-after (whole seconds) on a 429.</summary>
internal static class AnthropicRateLimitHeaders
{
    public const string RequestsLimit = "anthropic-ratelimit-requests-limit";
    public const string RequestsRemaining = "anthropic-ratelimit-requests-remaining";
    public const string RequestsReset = "anthropic-ratelimit-requests-reset";
    public const string TokensLimit = "anthropic-ratelimit-tokens-limit";
    public const string TokensRemaining = "anthropic-ratelimit-tokens-remaining";
    public const string TokensReset = "anthropic-ratelimit-tokens-reset";
    public const string RetryAfter = "retry-after";

    /// <summary>Headers for the limits that are configured (a limit of 0, unlimited, is not reported).</summary>
    public static void Write(IHeaderDictionary headers, in RateLimitDecision decision, DateTimeOffset now)
    {
        if (decision.RequestLimit == 0 && decision.TokenLimit == 0)
        {
            return;
        }
        var reset = ResetTime(now, decision.ResetIn);
        if (decision.RequestLimit > 0)
        {
            headers[RequestsLimit] = decision.RequestLimit.ToString(CultureInfo.InvariantCulture);
            headers[RequestsRemaining] = decision.RequestsRemaining.ToString(CultureInfo.InvariantCulture);
            headers[RequestsReset] = reset;
        }
        if (decision.TokenLimit > 0)
        {
            headers[TokensLimit] = decision.TokenLimit.ToString(CultureInfo.InvariantCulture);
            headers[TokensRemaining] = decision.TokensRemaining.ToString(CultureInfo.InvariantCulture);
            headers[TokensReset] = reset;
        }
    }

    public static void WriteRetryAfter(IHeaderDictionary headers, int seconds) => headers[RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>When a window that ends <paramref name="resetIn"/> from <paramref name="now"/> is open again, in
    /// RFC 3339 (<c>2025-01-01T00:01:00Z</c>), rounded up to the second so it is never early.</summary>
    public static string ResetTime(DateTimeOffset now, TimeSpan resetIn)
    {
        var ticks = (now + resetIn).UtcTicks;
        var rounded = ticks % TimeSpan.TicksPerSecond == 0 ? ticks : ticks - (ticks % TimeSpan.TicksPerSecond) + TimeSpan.TicksPerSecond;
        return new DateTime(rounded, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }
}
