using System.Globalization;
using Microsoft.AspNetCore.Http;
using Parley.Grains.Quotas;
using Parley.Silo.Api;
using Parley.Sim.RateLimits;

namespace Parley.Silo.Quotas;

/// <summary>What quotas put on a chat response: OpenAI's <c>x-ratelimit-*</c> headers on every answer of a user with
/// per-minute limits, and the 429 of a refusal (or the 503 of a fail-closed store outage).</summary>
internal static class QuotaResponses
{
    public const string RateLimitExceededCode = "rate_limit_exceeded";
    public const string InsufficientQuota = "insufficient_quota";
    public const string QuotaUnavailableCode = "quota_unavailable";

    public static void SetHeaders(IHeaderDictionary headers, QuotaDecision decision)
    {
        if (decision.Result is not { } result)
        {
            return;
        }
        Set(headers, result.Requests, RateLimitHeaders.LimitRequests, RateLimitHeaders.RemainingRequests, RateLimitHeaders.ResetRequests);
        Set(headers, result.Tokens, RateLimitHeaders.LimitTokens, RateLimitHeaders.RemainingTokens, RateLimitHeaders.ResetTokens);
    }

    public static Task WriteRefusalAsync(HttpContext context, QuotaDecision decision)
    {
        var headers = context.Response.Headers;
        if (decision.Unavailable)
        {
            headers.RetryAfter = "1";
            return ApiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                "Quotas cannot be checked right now (the quota store is unreachable); retry shortly.", OpenAIErrorTypes.Server, QuotaUnavailableCode);
        }
        var refusal = decision.Result!.Refusal!;
        headers.RetryAfter = RateLimitHeaders.RetryAfterSeconds(refusal.RetryAfter);
        headers[RateLimitHeaders.RetryAfterMs] = Math.Max(1, (long)Math.Ceiling(refusal.RetryAfter.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
        var (type, code, message) = Describe(refusal);
        return ApiErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, message, type, code);
    }

    // Worded and typed as OpenAI's own refusals: "requests"/"tokens" typed rate limits, insufficient_quota for budgets.
    private static (string Type, string Code, string Message) Describe(QuotaRefusal refusal)
    {
        var whose = refusal.Scope == QuotaScope.Key ? "this API key" : "your account";
        var wait = OpenAIDuration.Format(refusal.RetryAfter);
        return refusal.Kind switch
        {
            QuotaKind.RequestsPerMinute => ("requests", RateLimitExceededCode,
                $"Rate limit reached for {whose} on requests per min (RPM): Limit {refusal.Limit}. Please try again in {wait}."),
            QuotaKind.TokensPerMinute => ("tokens", RateLimitExceededCode,
                $"Rate limit reached for {whose} on tokens per min (TPM): Limit {refusal.Limit}. Please try again in {wait}."),
            QuotaKind.ConcurrentRequests => ("requests", RateLimitExceededCode,
                $"Too many concurrent requests for {whose}: Limit {refusal.Limit}. Please try again in {wait}."),
            QuotaKind.TokensPerDay or QuotaKind.TokensPerMonth => (InsufficientQuota, InsufficientQuota,
                $"You exceeded the {(refusal.Kind == QuotaKind.TokensPerDay ? "daily" : "monthly")} token budget of {whose} ({refusal.Limit} tokens). It renews in {wait}."),
            _ => (InsufficientQuota, InsufficientQuota,
                $"You exceeded the {(refusal.Kind == QuotaKind.MoneyPerDay ? "daily" : "monthly")} spending budget of {whose} ({QuotaMoney.ToUsd(refusal.Limit).ToString(CultureInfo.InvariantCulture)} USD). It renews in {wait}."),
        };
    }

    private static void Set(IHeaderDictionary headers, WindowState window, string limitName, string remainingName, string resetName)
    {
        if (window.Limit is not { } limit)
        {
            return;
        }
        headers[limitName] = limit.ToString(CultureInfo.InvariantCulture);
        headers[remainingName] = Math.Max(0, window.Remaining).ToString(CultureInfo.InvariantCulture);
        headers[resetName] = OpenAIDuration.Format(window.ResetAfter);
    }
}
