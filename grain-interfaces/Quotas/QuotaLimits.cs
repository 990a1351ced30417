namespace Parley.GrainInterfaces.Quotas;

/// <summary>A user's or a virtual key's limits; each is optional (null: no limit). Money is in micro-USD
/// (1 USD = 1,000,000) so that every sum is exact.</summary>
[GenerateSerializer, Immutable, Alias("parley.quota-limits")]
public sealed record QuotaLimits(
    int? RequestsPerMinute = null,
    int? TokensPerMinute = null,
    int? ConcurrentRequests = null,
    long? TokensPerDay = null,
    long? TokensPerMonth = null,
    long? MicrosUsdPerDay = null,
    long? MicrosUsdPerMonth = null)
{
    public static QuotaLimits None { get; } = new();

    public bool IsEmpty => this == None;

    /// <summary>Each limit of this, else the one of <paramref name="fallback"/>.</summary>
    public QuotaLimits Or(QuotaLimits fallback) => new(
        RequestsPerMinute ?? fallback.RequestsPerMinute,
        TokensPerMinute ?? fallback.TokensPerMinute,
        ConcurrentRequests ?? fallback.ConcurrentRequests,
        TokensPerDay ?? fallback.TokensPerDay,
        TokensPerMonth ?? fallback.TokensPerMonth,
        MicrosUsdPerDay ?? fallback.MicrosUsdPerDay,
        MicrosUsdPerMonth ?? fallback.MicrosUsdPerMonth);
}
