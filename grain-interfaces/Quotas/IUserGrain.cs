namespace Parley.GrainInterfaces.Quotas;

/// <summary>One user (key: user id): the limits set for the user and for each of its virtual keys. The grain is the
/// limits' home and cache; admission itself is decided atomically in Redis (see the quota ledger), so that every
/// silo admits exactly what one would.</summary>
[Alias("parley.IUserGrain")]
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>The limits set for the user (not merged with configuration defaults).</summary>
    Task<UserQuotaSettings> GetSettingsAsync();

    /// <summary>Replaces the user's own limits.</summary>
    Task<UserQuotaSettings> SetUserLimitsAsync(QuotaLimits limits);

    /// <summary>Replaces one key's limits (<see cref="QuotaLimits.None"/> removes them).</summary>
    Task<UserQuotaSettings> SetKeyLimitsAsync(string keyId, QuotaLimits limits);
}

/// <param name="Version">Changes with every change of limits, so callers can cache the settings.</param>
[GenerateSerializer, Immutable, Alias("parley.user-quota-settings")]
public sealed record UserQuotaSettings(QuotaLimits User, IReadOnlyDictionary<string, QuotaLimits> Keys, long Version)
{
    public QuotaLimits ForKey(string keyId) => Keys.TryGetValue(keyId, out var limits) ? limits : QuotaLimits.None;
}
