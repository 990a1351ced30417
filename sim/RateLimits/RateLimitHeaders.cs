using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Parley.Sim.RateLimits;

/// <summary>OpenAI's rate-limit response headers.</summary>
internal static class RateLimitHeaders
{
    public const string LimitRequests = "x-ratelimit-limit-requests";
    public const string RemainingRequests = "x-ratelimit-remaining-requests";
    public const string ResetRequests = "x-ratelimit-reset-requests";
    public const string LimitTokens = "x-ratelimit-limit-tokens";
    public const string RemainingTokens = "x-ratelimit-remaining-tokens";
    public const string ResetTokens = "x-ratelimit-reset-tokens";
    public const string RetryAfter = "Retry-After";
    public const string RetryAfterMs = "retry-after-ms";

    /// <summary>Headers for the limits that are configured (a limit of 0, unlimited, is not reported).</summary>
    public static void Write(IHeaderDictionary headers, in RateLimitDecision decision)
    {
        var reset = OpenAIDuration.Format(decision.ResetIn);
        if (decision.RequestLimit > 0)
        {
            headers[LimitRequests] = decision.RequestLimit.ToString(CultureInfo.InvariantCulture);
            headers[RemainingRequests] = decision.RequestsRemaining.ToString(CultureInfo.InvariantCulture);
            headers[ResetRequests] = reset;
        }
        if (decision.TokenLimit > 0)
        {
            headers[LimitTokens] = decision.TokenLimit.ToString(CultureInfo.InvariantCulture);
            headers[RemainingTokens] = decision.TokensRemaining.ToString(CultureInfo.InvariantCulture);
            headers[ResetTokens] = reset;
        }
    }

    public static void WriteRetryAfter(IHeaderDictionary headers, int seconds)
        => headers[RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>Retry-After in whole seconds rounded up, and retry-after-ms exactly (whole milliseconds, rounded up).</summary>
    public static void WriteRetryAfter(IHeaderDictionary headers, TimeSpan wait)
    {
        WriteRetryAfter(headers, SecondsUp(wait));
        headers[RetryAfterMs] = ((long)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Whole seconds, rounded up (0 stays 0).</summary>
    public static int SecondsUp(TimeSpan wait) => (int)Math.Min(int.MaxValue, Math.Ceiling(wait.TotalSeconds));
}
