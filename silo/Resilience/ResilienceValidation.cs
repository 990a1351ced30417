namespace Parley.Silo.Resilience;

/// <summary>Checks a provider's resilience settings against what they mean and what Polly accepts, so a bad value stops
/// the silo at start with the setting's name.</summary>
internal static class ResilienceValidation
{
    // Polly's own bounds: timeouts in [10 ms, 24 h], circuit windows and breaks of at least 500 ms.
    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(24);
    private static readonly TimeSpan MinCircuitDuration = TimeSpan.FromMilliseconds(500);
    private const int MaxRetries = 20;

    public static void Validate(string prefix, ResilienceOptions options, List<string> failures)
    {
        Timeout(prefix, nameof(options.ConnectTimeout), options.ConnectTimeout, failures);
        Timeout(prefix, nameof(options.FirstByteTimeout), options.FirstByteTimeout, failures);
        Timeout(prefix, nameof(options.StallTimeout), options.StallTimeout, failures);
        Timeout(prefix, nameof(options.TotalTimeout), options.TotalTimeout, failures);
        if (options.TotalTimeout < options.FirstByteTimeout)
        {
            failures.Add($"{prefix}:TotalTimeout must be at least FirstByteTimeout.");
        }
        var retry = options.Retry;
        if (retry.MaxRetries is < 0 or > MaxRetries)
        {
            failures.Add($"{prefix}:Retry:MaxRetries must be between 0 and {MaxRetries}.");
        }
        if (retry.BaseDelay < TimeSpan.Zero || retry.MaxDelay < retry.BaseDelay)
        {
            failures.Add($"{prefix}:Retry: BaseDelay must be 0 or more and MaxDelay at least BaseDelay.");
        }
        if (retry.MaxRetryAfter < TimeSpan.Zero)
        {
            failures.Add($"{prefix}:Retry:MaxRetryAfter must be 0 or more.");
        }
        var breaker = options.CircuitBreaker;
        if (!(breaker.FailureRatio > 0 && breaker.FailureRatio <= 1))
        {
            failures.Add($"{prefix}:CircuitBreaker:FailureRatio must be in (0, 1].");
        }
        if (breaker.MinimumThroughput < 2)
        {
            failures.Add($"{prefix}:CircuitBreaker:MinimumThroughput must be at least 2.");
        }
        if (breaker.SamplingDuration < MinCircuitDuration || breaker.BreakDuration < MinCircuitDuration)
        {
            failures.Add($"{prefix}:CircuitBreaker: SamplingDuration and BreakDuration must be at least {MinCircuitDuration.TotalMilliseconds:0} ms.");
        }
    }

    private static void Timeout(string prefix, string name, TimeSpan value, List<string> failures)
    {
        if (value < MinTimeout || value > MaxTimeout)
        {
            failures.Add($"{prefix}:{name} must be between {MinTimeout.TotalMilliseconds:0} ms and {MaxTimeout.TotalHours:0} h.");
        }
    }
}
