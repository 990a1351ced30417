using System.Globalization;
using Parley.Sim.RateLimits;

namespace Parley.Silo.Api;

/// <summary>OpenAI's rate-limit headers, as Parley writes them (quota answers) and reads them (upstream answers).</summary>
internal static class RateLimitHeaders
{
    public const string Prefix = "x-ratelimit-";
    public const string LimitRequests = "x-ratelimit-limit-requests";
    public const string RemainingRequests = "x-ratelimit-remaining-requests";
    public const string ResetRequests = "x-ratelimit-reset-requests";
    public const string LimitTokens = "x-ratelimit-limit-tokens";
    public const string RemainingTokens = "x-ratelimit-remaining-tokens";
    public const string ResetTokens = "x-ratelimit-reset-tokens";
    public const string RetryAfter = "Retry-After";
    public const string RetryAfterMs = "retry-after-ms";

    /// <summary>A <c>Retry-After</c> value: whole seconds, rounded up, at least 1.</summary>
    public static string RetryAfterSeconds(TimeSpan wait)
        => OpenAIDuration.RetryAfterSeconds(wait).ToString(CultureInfo.InvariantCulture);
}
