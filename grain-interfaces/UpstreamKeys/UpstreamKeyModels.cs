namespace Parley.GrainInterfaces.UpstreamKeys;

[GenerateSerializer, Alias("parley.upstream-key-state")]
public enum UpstreamKeyState
{
    Active,
    /// <summary>The upstream said when it will take calls again (429 Retry-After, or nothing remaining until a reset).</summary>
    Blocked,
    /// <summary>Too many errors: resting until <see cref="UpstreamKeyHealth.Until"/>, then one trial call decides.</summary>
    Cooling,
    /// <summary>Refused by the upstream (401/403) or by an operator; only an operator brings it back.</summary>
    Disabled,
}

/// <param name="Until">End of a block or cool-down (while a trial call is in flight: when its lease lapses).</param>
[GenerateSerializer, Immutable, Alias("parley.upstream-key-health")]
public sealed record UpstreamKeyHealth(UpstreamKeyState State, DateTimeOffset? Until, string? Reason)
{
    public static UpstreamKeyHealth Active { get; } = new(UpstreamKeyState.Active, null, null);

    /// <summary>The name the admin API shows: active, blocked, cooling or disabled.</summary>
    public string StateName => State switch
    {
        UpstreamKeyState.Blocked => "blocked",
        UpstreamKeyState.Cooling => "cooling",
        UpstreamKeyState.Disabled => "disabled",
        _ => "active",
    };
}

/// <summary>What one upstream call on a key came back with.</summary>
/// <param name="StatusCode">The HTTP status, or 0 when no answer came (timeout, connection refused or cut).</param>
/// <param name="RetryAfter">The answer's Retry-After, as a delay from <paramref name="At"/>.</param>
/// <param name="WasTrial">The call was the one trial call let through after a cool-down.</param>
/// <param name="StartedAt">The paced start the call left on (null: unpaced or a trial), against which the answer's
/// remaining requests and reset are counted.</param>
[GenerateSerializer, Immutable, Alias("parley.upstream-call-outcome")]
public sealed record UpstreamCallOutcome(
    DateTimeOffset At,
    int StatusCode,
    bool WasTrial,
    TimeSpan? RetryAfter = null,
    long? RemainingRequests = null,
    TimeSpan? ResetRequests = null,
    long? RemainingTokens = null,
    TimeSpan? ResetTokens = null,
    DateTimeOffset? StartedAt = null)
{
    public bool IsAuthFailure => StatusCode is 401 or 403;

    public bool IsRateLimited => StatusCode == 429;

    /// <summary>Counted towards a cool-down: no answer, or a server error.</summary>
    public bool IsError => StatusCode == 0 || StatusCode >= 500;
}
