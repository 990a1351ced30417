namespace Parley.Silo.Resilience;

/// <summary>How calls to one provider's deployments are bounded and retried, bound from
/// <c>Parley:Providers:&lt;name&gt;:Resilience</c>. Defaults suit a hosted LLM API; every threshold is configuration.</summary>
public sealed class ResilienceOptions
{
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultFirstByteTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultTotalTimeout = TimeSpan.FromMinutes(10);

    /// <summary>The longest a TCP (and TLS) connection may take to open.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>The longest one attempt may wait for the response headers and the first bytes of the body. Past it the
    /// attempt has failed (and is retried): nothing has reached the client yet.</summary>
    public TimeSpan FirstByteTimeout { get; set; } = DefaultFirstByteTimeout;

    /// <summary>The longest a body that has started may go without producing more bytes; a stream that keeps producing
    /// is never cut by it. Past it the answer is cut (an error event for a stream).</summary>
    public TimeSpan StallTimeout { get; set; } = DefaultStallTimeout;

    /// <summary>Bounds the whole call: every attempt, backoff, pacing wait and the relay of the answer.</summary>
    public TimeSpan TotalTimeout { get; set; } = DefaultTotalTimeout;

    public RetryOptions Retry { get; set; } = new();

    public CircuitBreakerOptions CircuitBreaker { get; set; } = new();
}

/// <summary>Retries of one deployment (<c>…:Resilience:Retry</c>): exponential backoff with full jitter, capped.
/// 500/502/503/504/529, timeouts, refused or cut connections are retried; 429 waits for its <c>Retry-After</c> when that
/// is within <see cref="MaxRetryAfter"/> (else the call moves to another deployment); 400/401/403/404/413/422 never are.</summary>
public sealed class RetryOptions
{
    public const int DefaultMaxRetries = 2;
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultMaxRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>Retries after the first attempt on the same deployment (0: none; the call still moves to other deployments).</summary>
    public int MaxRetries { get; set; } = DefaultMaxRetries;

    /// <summary>The n-th retry waits a random time in [0, min(MaxDelay, BaseDelay × 2^(n-1))].</summary>
    public TimeSpan BaseDelay { get; set; } = DefaultBaseDelay;

    public TimeSpan MaxDelay { get; set; } = DefaultMaxDelay;

    /// <summary>The longest <c>Retry-After</c> honoured on the same deployment.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = DefaultMaxRetryAfter;
}

/// <summary>The circuit breaker of each deployment (<c>…:Resilience:CircuitBreaker</c>): it opens when the share of
/// failed attempts (5xx, timeouts, refused or cut connections; not 4xx or 429) over <see cref="SamplingDuration"/> reaches
/// <see cref="FailureRatio"/> with at least <see cref="MinimumThroughput"/> attempts, stays open for
/// <see cref="BreakDuration"/> (routing skips it), then lets one trial call through: success closes it, failure reopens it.</summary>
public sealed class CircuitBreakerOptions
{
    public const double DefaultFailureRatio = 0.05;
    public const int DefaultMinimumThroughput = 20;
    public static readonly TimeSpan DefaultSamplingDuration = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan DefaultBreakDuration = TimeSpan.FromSeconds(300);

    public bool Enabled { get; set; } = true;

    public double FailureRatio { get; set; } = DefaultFailureRatio;

    public TimeSpan SamplingDuration { get; set; } = DefaultSamplingDuration;

    public int MinimumThroughput { get; set; } = DefaultMinimumThroughput;

    public TimeSpan BreakDuration { get; set; } = DefaultBreakDuration;
}
