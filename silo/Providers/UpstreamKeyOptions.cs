namespace Parley.Silo.Providers;

/// <summary>One key of a provider's pool, bound from <c>Parley:Providers:&lt;name&gt;:Keys:&lt;n&gt;</c>. Limits are the
/// upstream's for this key; Parley spaces calls so that the cluster as a whole stays under them.</summary>
public sealed class UpstreamKeyOptions
{
    /// <summary>The id of the key <see cref="ProviderOptions.ApiKey"/> forms when no <see cref="ProviderOptions.Keys"/> are set.</summary>
    public const string DefaultId = "default";
    public const int DefaultWeight = 1;

    /// <summary>Names the key in logs, metrics and the admin API (the secret never appears there).</summary>
    public string Id { get; set; } = "";

    /// <summary>The secret, sent as <c>Authorization: Bearer</c>; empty for an upstream without keys.</summary>
    public string? ApiKey { get; set; }

    public int? RequestsPerMinute { get; set; }

    public int? TokensPerMinute { get; set; }

    /// <summary>Calls in flight on this key across the cluster.</summary>
    public int? MaxConcurrent { get; set; }

    /// <summary>Breaks ties between keys that can start equally soon (a key of weight 2 takes twice the share).</summary>
    public int Weight { get; set; } = DefaultWeight;
}

/// <summary>Pacing and health settings of a provider's key pool (<c>Parley:Providers:&lt;name&gt;:Pool</c>).</summary>
public sealed class KeyPoolOptions
{
    public static readonly TimeSpan DefaultMaxPacingWait = TimeSpan.FromSeconds(5);
    public const double DefaultPacingMargin = 0.05;
    public static readonly TimeSpan DefaultConcurrencyLeaseTtl = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DefaultStoreTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultUnlimitedKeyRecheck = TimeSpan.FromSeconds(1);

    /// <summary>The longest a call waits for a slot on any key before the client gets a 429.</summary>
    public TimeSpan MaxPacingWait { get; set; } = DefaultMaxPacingWait;

    /// <summary>Share added to every key's spacing (0.05 = 5 % slower than the limit), so that network jitter never
    /// lands limit + 1 calls in one of the upstream's fixed windows.</summary>
    public double PacingMargin { get; set; } = DefaultPacingMargin;

    /// <summary>Errors (5xx, timeouts, refused connections) within <see cref="ErrorWindow"/> that cool a key down.</summary>
    public int ErrorsBeforeCooldown { get; set; } = Grains.UpstreamKeys.UpstreamKeyPolicy.DefaultErrorsBeforeCooldown;

    public TimeSpan ErrorWindow { get; set; } = Grains.UpstreamKeys.UpstreamKeyPolicy.DefaultErrorWindow;

    /// <summary>How long a cooled key rests before one trial call decides whether it is back.</summary>
    public TimeSpan Cooldown { get; set; } = Grains.UpstreamKeys.UpstreamKeyPolicy.DefaultCooldown;

    /// <summary>How long a concurrency slot outlives a silo that died without releasing it.</summary>
    public TimeSpan ConcurrencyLeaseTtl { get; set; } = DefaultConcurrencyLeaseTtl;

    /// <summary>The longest an acquisition waits for the pacing store's (Redis's) answer. A slow answer is not an outage:
    /// past this the acquisition may still have reserved a start, so the call asks again (within
    /// <see cref="MaxPacingWait"/>) rather than go unpaced beside it. Only a store that cannot be reached (not connected,
    /// so nothing was sent) lets calls go unpaced on a key chosen by weight, since refusing them would cost more than the
    /// 429 pacing tries to spare.</summary>
    public TimeSpan StoreTimeout { get; set; } = DefaultStoreTimeout;

    /// <summary>A key with no limits (no requests or tokens per minute, no concurrency limit) has no start to pace, and
    /// the store is asked about it only for its health: once the store found it usable with nothing holding it back,
    /// calls start on it without asking, for this long, until any silo learns anything of it (a 429, an error, a
    /// refusal, a reset with nothing remaining; another silo's lessons arrive through the store,
    /// <see cref="UpstreamKeyLessonWatch"/>). This is also the longest a lesson whose notice was lost goes unnoticed
    /// here. Zero asks the store on every call. Pools with any limited key always ask.</summary>
    public TimeSpan UnlimitedKeyRecheck { get; set; } = DefaultUnlimitedKeyRecheck;
}
