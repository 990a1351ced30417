using Microsoft.Extensions.Options;
using Parley.GrainInterfaces.Quotas;

namespace Parley.Silo.Quotas;

/// <summary>Parley:Quotas: the limits every user gets unless set otherwise, prices, and how admission behaves.</summary>
public sealed class QuotaOptions
{
    public const string SectionName = "Parley:Quotas";
    public const int DefaultDefaultReplyTokens = 1024;
    public static readonly TimeSpan DefaultReservationTtl = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DefaultSettingsCacheTtl = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultStoreTimeout = TimeSpan.FromSeconds(5);

    public bool Enabled { get; set; } = true;

    /// <summary>Limits of every user (and nothing for keys) unless the admin API sets the user's own.</summary>
    public QuotaLimitOptions Defaults { get; set; } = new();

    /// <summary>Per public model: USD per million input and output tokens, for money budgets. A model without a price
    /// costs nothing against them.</summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Tokens reserved for the reply when the request sets no max_completion_tokens / max_tokens.</summary>
    public int DefaultReplyTokens { get; set; } = DefaultDefaultReplyTokens;

    /// <summary>A reservation never settled (its silo died mid-call) is released after this.</summary>
    public TimeSpan ReservationTtl { get; set; } = DefaultReservationTtl;

    /// <summary>How long a silo trusts a user's limits it read (an admin change reaches every silo within this).</summary>
    public TimeSpan SettingsCacheTtl { get; set; } = DefaultSettingsCacheTtl;

    /// <summary>Longest wait for the quota store's answer to a script it was sent. A slow answer is not an outage, and
    /// a script not answered may still count: past this the request is refused with 503 <c>quota_unavailable</c> and
    /// its reservation released, never decided a second time. Only a Redis that is not connected (the script is never
    /// sent) counts as unreachable, at once (the policies below). Redis's own command timeout (the connection string's
    /// <c>asyncTimeout</c>, by default its <c>syncTimeout</c>, 5 s) bounds the wait too.</summary>
    public TimeSpan StoreTimeout { get; set; } = DefaultStoreTimeout;

    /// <summary>When Redis cannot be reached (not connected, so the script is never sent): <c>Open</c> admits with
    /// per-silo in-process limits, <c>Closed</c> refuses. Applies to requests of users without money budgets.</summary>
    public QuotaFailurePolicy OnRedisFailure { get; set; } = QuotaFailurePolicy.Open;

    /// <summary>The same for users with a money budget (per day or month).</summary>
    public QuotaFailurePolicy OnRedisFailureWithMoneyBudgets { get; set; } = QuotaFailurePolicy.Closed;
}

public enum QuotaFailurePolicy
{
    Open,
    Closed,
}

/// <summary>Limits as configured (money in USD).</summary>
public sealed class QuotaLimitOptions
{
    public int? RequestsPerMinute { get; set; }
    public int? TokensPerMinute { get; set; }
    public int? ConcurrentRequests { get; set; }
    public long? TokensPerDay { get; set; }
    public long? TokensPerMonth { get; set; }
    public decimal? UsdPerDay { get; set; }
    public decimal? UsdPerMonth { get; set; }

    public QuotaLimits ToLimits() => new(RequestsPerMinute, TokensPerMinute, ConcurrentRequests, TokensPerDay, TokensPerMonth,
        QuotaMoney.ToMicros(UsdPerDay), QuotaMoney.ToMicros(UsdPerMonth));
}

public sealed class ModelPrice
{
    public decimal InputUsdPerMillion { get; set; }
    public decimal OutputUsdPerMillion { get; set; }
}

/// <summary>Money is kept in micro-USD: 1 USD per million tokens is exactly 1 micro-USD per token.</summary>
public static class QuotaMoney
{
    private const decimal MicrosPerUsd = 1_000_000m;

    public static long? ToMicros(decimal? usd) => usd is { } value ? (long)Math.Ceiling(value * MicrosPerUsd) : null;

    public static decimal ToUsd(long micros) => micros / MicrosPerUsd;

    /// <summary>The cost of <paramref name="inputTokens"/> and <paramref name="outputTokens"/>, rounded up to a micro-USD.</summary>
    public static long Cost(ModelPrice? price, long inputTokens, long outputTokens)
        => price is null ? 0 : (long)Math.Ceiling(inputTokens * price.InputUsdPerMillion + outputTokens * price.OutputUsdPerMillion);
}

internal sealed class QuotaOptionsValidator : IValidateOptions<QuotaOptions>
{
    public ValidateOptionsResult Validate(string? name, QuotaOptions options)
    {
        const string Section = QuotaOptions.SectionName;
        var failures = new List<string>();
        QuotaLimitsValidation.Check(options.Defaults.ToLimits(), $"{Section}:Defaults", failures);
        if (options.Defaults.UsdPerDay < 0 || options.Defaults.UsdPerMonth < 0)
        {
            failures.Add($"{Section}:Defaults: money budgets must not be negative.");
        }
        foreach (var (model, price) in options.Prices)
        {
            if (price.InputUsdPerMillion < 0 || price.OutputUsdPerMillion < 0)
            {
                failures.Add($"{Section}:Prices:{model}: prices must not be negative.");
            }
        }
        if (options.DefaultReplyTokens < 1)
        {
            failures.Add($"{Section}:DefaultReplyTokens must be positive.");
        }
        if (options.ReservationTtl < TimeSpan.FromSeconds(1) || options.ReservationTtl > TimeSpan.FromDays(1))
        {
            failures.Add($"{Section}:ReservationTtl must be between 1 second and 1 day.");
        }
        if (options.StoreTimeout < TimeSpan.FromMilliseconds(10) || options.StoreTimeout > TimeSpan.FromSeconds(30))
        {
            failures.Add($"{Section}:StoreTimeout must be between 10 ms and 30 s.");
        }
        if (options.SettingsCacheTtl < TimeSpan.Zero || options.SettingsCacheTtl > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{Section}:SettingsCacheTtl must be between 0 and 10 minutes.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>One rule for limits from configuration and from the admin API: every limit set is positive.</summary>
internal static class QuotaLimitsValidation
{
    public static void Check(QuotaLimits limits, string where, List<string> failures)
    {
        if (limits.RequestsPerMinute is < 1 || limits.TokensPerMinute is < 1 || limits.ConcurrentRequests is < 1
            || limits.TokensPerDay is < 1 || limits.TokensPerMonth is < 1 || limits.MicrosUsdPerDay is < 0 || limits.MicrosUsdPerMonth is < 0)
        {
            failures.Add($"{where}: every limit set must be positive (leave a limit unset for none).");
        }
    }
}
