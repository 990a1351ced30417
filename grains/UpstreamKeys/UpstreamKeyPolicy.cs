namespace Parley.Grains.UpstreamKeys;

/// <summary>How an upstream key learns from its answers (configured per provider by the host).</summary>
public sealed record UpstreamKeyPolicy(int ErrorsBeforeCooldown, TimeSpan ErrorWindow, TimeSpan Cooldown, TimeSpan RequestSpacing)
{
    public const int DefaultErrorsBeforeCooldown = 5;
    public static readonly TimeSpan DefaultErrorWindow = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultCooldown = TimeSpan.FromSeconds(30);

    /// <summary>A 429 without Retry-After or reset headers still rests the key this long.</summary>
    public static readonly TimeSpan DefaultRateLimitBlock = TimeSpan.FromSeconds(1);

    public static UpstreamKeyPolicy Default { get; } = new(DefaultErrorsBeforeCooldown, DefaultErrorWindow, DefaultCooldown, TimeSpan.Zero);
}

/// <summary>Finds the policy of a key by its grain key (<c>&lt;provider&gt;/&lt;keyId&gt;</c>).</summary>
public interface IUpstreamKeyPolicies
{
    UpstreamKeyPolicy Get(string key);
}

internal sealed class DefaultUpstreamKeyPolicies : IUpstreamKeyPolicies
{
    public UpstreamKeyPolicy Get(string key) => UpstreamKeyPolicy.Default;
}
