using System.ComponentModel.DataAnnotations;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Parley.GrainInterfaces.Quotas;
using Parley.Grains.Quotas;

namespace Parley.Silo.Quotas;

/// <summary>Limits as the API shows and takes them: money in USD, a missing or null limit means none.</summary>
public sealed record LimitsResource(
    int? RequestsPerMinute,
    int? TokensPerMinute,
    int? ConcurrentRequests,
    long? TokensPerDay,
    long? TokensPerMonth,
    decimal? UsdPerDay,
    decimal? UsdPerMonth)
{
    public static LimitsResource From(QuotaLimits limits) => new(limits.RequestsPerMinute, limits.TokensPerMinute, limits.ConcurrentRequests,
        limits.TokensPerDay, limits.TokensPerMonth, Usd(limits.MicrosUsdPerDay), Usd(limits.MicrosUsdPerMonth));

    public QuotaLimits ToLimits() => new(RequestsPerMinute, TokensPerMinute, ConcurrentRequests, TokensPerDay, TokensPerMonth,
        QuotaMoney.ToMicros(UsdPerDay), QuotaMoney.ToMicros(UsdPerMonth));

    private static decimal? Usd(long? micros) => micros is { } value ? QuotaMoney.ToUsd(value) : null;
}

/// <param name="User">The limits set for the user itself; <paramref name="Effective"/> adds the configured defaults.</param>
public sealed record UserLimitsResource(string UserId, LimitsResource User, LimitsResource Effective, IReadOnlyDictionary<string, LimitsResource> Keys)
{
    [JsonPropertyOrder(-1)]
    [AllowedValues("quota.limits")]
    public string Object => "quota.limits";
}

public sealed record UsageNumbers(
    long RequestsLastMinute,
    long TokensLastMinute,
    long ConcurrentRequests,
    long TokensToday,
    long TokensThisMonth,
    decimal UsdToday,
    decimal UsdThisMonth)
{
    public static UsageNumbers From(QuotaUsage usage) => new(usage.RequestsLastMinute, usage.TokensLastMinute, usage.ConcurrentRequests,
        usage.TokensToday, usage.TokensThisMonth, QuotaMoney.ToUsd(usage.MicrosUsdToday), QuotaMoney.ToUsd(usage.MicrosUsdThisMonth));
}

/// <summary>A user's use in every window and period (reservations in flight included), against its effective limits;
/// the key's own when the key has limits.</summary>
public sealed record UsageResource(
    string UserId,
    string? KeyId,
    string Day,
    string Month,
    LimitsResource Limits,
    UsageNumbers Usage,
    LimitsResource? KeyLimits,
    UsageNumbers? KeyUsage)
{
    [JsonPropertyOrder(-1)]
    [AllowedValues("quota.usage")]
    public string Object => "quota.usage";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(UserLimitsResource))]
[JsonSerializable(typeof(UsageResource))]
internal sealed partial class QuotaJsonContext : JsonSerializerContext
{
    public static QuotaJsonContext Relaxed { get; } = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    });
}
