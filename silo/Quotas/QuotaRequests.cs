using System.ComponentModel.DataAnnotations;
using Parley.Silo.OpenApi;

namespace Parley.Silo.Quotas;

/// <summary><c>PUT /admin/users/{userId}/limits</c> and <c>PUT /admin/keys/{keyId}/limits</c>: what
/// <see cref="QuotaLimitsParser"/> reads. Every field is optional; absent or null means no limit; counts are positive
/// integers, money a non-negative number of USD. The body replaces the limits as a whole (an empty body clears them).</summary>
[RequestSchema(Example = """{"requests_per_minute": 60, "tokens_per_minute": 100000, "concurrent_requests": 4, "tokens_per_day": 1000000, "tokens_per_month": 20000000, "usd_per_day": 5, "usd_per_month": 100}""")]
public sealed class LimitsRequest
{
    [NullAllowed]
    [Range(1, int.MaxValue)]
    public int? RequestsPerMinute { get; init; }

    [NullAllowed]
    [Range(1, int.MaxValue)]
    public int? TokensPerMinute { get; init; }

    [NullAllowed]
    [Range(1, int.MaxValue)]
    public int? ConcurrentRequests { get; init; }

    [NullAllowed]
    [Range(1L, QuotaLimitsParser.MaxCount)]
    public long? TokensPerDay { get; init; }

    [NullAllowed]
    [Range(1L, QuotaLimitsParser.MaxCount)]
    public long? TokensPerMonth { get; init; }

    [NullAllowed]
    [Range(0d, (double)QuotaLimitsParser.MaxUsd)]
    public decimal? UsdPerDay { get; init; }

    [NullAllowed]
    [Range(0d, (double)QuotaLimitsParser.MaxUsd)]
    public decimal? UsdPerMonth { get; init; }
}
