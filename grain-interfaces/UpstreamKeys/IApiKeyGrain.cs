namespace Parley.GrainInterfaces.UpstreamKeys;

/// <summary>One upstream API key (key: <c>&lt;provider&gt;/&lt;keyId&gt;</c>, see <see cref="UpstreamKeyName"/>): where what the
/// upstream answers is turned into the key's health, and where operators act on it. The health itself lives beside the
/// key's pacing state (Redis in a cluster), so every silo's next acquisition honours a decision at once.</summary>
[Alias("parley.IApiKeyGrain")]
public interface IApiKeyGrain : IGrainWithStringKey
{
    /// <summary>Learns from one upstream answer (or its absence) on this key: rate-limit headers tighten the schedule,
    /// a 429 blocks the key, repeated errors cool it down, a 401/403 takes it out of rotation.</summary>
    Task ReportAsync(UpstreamCallOutcome outcome);

    Task<UpstreamKeyHealth> GetHealthAsync();

    /// <summary>An operator puts the key back into rotation: clears disabled, blocked and cooling.</summary>
    Task<UpstreamKeyHealth> EnableAsync();
}

/// <summary>Builds and splits grain keys of <see cref="IApiKeyGrain"/>.</summary>
public static class UpstreamKeyName
{
    public const char Separator = '/';

    public static string For(string provider, string keyId) => string.Concat(provider, "/", keyId);

    public static (string Provider, string KeyId) Split(string grainKey)
    {
        var at = grainKey.IndexOf(Separator, StringComparison.Ordinal);
        return at < 0 ? (grainKey, "") : (grainKey[..at], grainKey[(at + 1)..]);
    }
}
