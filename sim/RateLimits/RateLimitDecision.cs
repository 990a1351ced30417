namespace Parley.Sim.RateLimits;

/// <summary>The outcome of one admission against a key's window, with what the x-ratelimit-* headers report.</summary>
internal readonly record struct RateLimitDecision(
    bool Admitted,
    bool LimitedByTokens,
    int RequestLimit,
    int RequestsRemaining,
    int TokenLimit,
    long TokensRemaining,
    TimeSpan ResetIn);
