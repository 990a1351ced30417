using System.Net.Http;
using Parley.Grains.UpstreamKeys;
using Parley.Silo.Providers;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Parley.Silo.Resilience;

/// <summary>Callbacks the pipeline reports its circuit's transitions and retries to.</summary>
internal interface IDeploymentEvents
{
    void CircuitOpened(TimeSpan breakDuration);

    void CircuitHalfOpened();

    void CircuitClosed();

    void Retrying(int attempt, TimeSpan delay, Outcome<AttemptResult> outcome);
}

/// <summary>Builds one deployment's Polly pipeline: retry (outermost) → circuit breaker → first-byte timeout (per attempt).
/// Every attempt passes through the breaker, so it sees the deployment's real failure rate; a broken circuit is not
/// retried here (the router moves to another deployment).</summary>
internal static class DeploymentPipeline
{
    public static ResiliencePipeline<AttemptResult> Build(string name, ResilienceOptions options, TimeProvider time, IDeploymentEvents events,
        CircuitBreakerStateProvider? circuit)
    {
        var builder = new ResiliencePipelineBuilder<AttemptResult> { Name = name, TimeProvider = time };
        var retry = options.Retry;
        if (retry.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<AttemptResult>
            {
                MaxRetryAttempts = retry.MaxRetries,
                ShouldHandle = args => new ValueTask<bool>(IsRetryable(args.Outcome, retry.MaxRetryAfter)),
                DelayGenerator = args => new ValueTask<TimeSpan?>(Delay(args.Outcome, args.AttemptNumber, retry)),
                OnRetry = args =>
                {
                    events.Retrying(args.AttemptNumber + 1, args.RetryDelay, args.Outcome);
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            });
        }
        var breaker = options.CircuitBreaker;
        if (breaker.Enabled && circuit is not null)
        {
            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<AttemptResult>
            {
                FailureRatio = breaker.FailureRatio,
                SamplingDuration = breaker.SamplingDuration,
                MinimumThroughput = breaker.MinimumThroughput,
                BreakDuration = breaker.BreakDuration,
                ShouldHandle = args => new ValueTask<bool>(IsDeploymentFailure(args.Outcome)),
                StateProvider = circuit,
                OnOpened = args =>
                {
                    events.CircuitOpened(args.BreakDuration);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    events.CircuitHalfOpened();
                    return default;
                },
                OnClosed = _ =>
                {
                    events.CircuitClosed();
                    return default;
                },
            });
        }
        builder.AddTimeout(options.FirstByteTimeout);
        return builder.Build();
    }

    /// <summary>What the breaker counts against the deployment: no answer, a broken one, or a 5xx. A 4xx or 429 is an
    /// answer from a working upstream.</summary>
    public static bool IsDeploymentFailure(Outcome<AttemptResult> outcome)
        => outcome.Exception is { } e ? IsTransient(e) : outcome.Result is { Failure.Kind: FailureKind.Transient };

    public static bool IsRetryable(Outcome<AttemptResult> outcome, TimeSpan maxRetryAfter)
    {
        if (outcome.Exception is { } e)
        {
            return IsTransient(e);
        }
        return outcome.Result?.Failure switch
        {
            { Kind: FailureKind.Transient } => true,
            { Kind: FailureKind.RateLimited } failure => RateLimitWait(failure) <= maxRetryAfter,
            _ => false,
        };
    }

    /// <summary>No answer (refused, reset or cut connection, a first-byte timeout) or an answer that was not one.</summary>
    public static bool IsTransient(Exception e)
        => e is TimeoutRejectedException or HttpRequestException or IOException or InvalidDataException;

    public static TimeSpan RateLimitWait(UpstreamFailure failure) => failure.RetryAfter ?? UpstreamKeyPolicy.DefaultRateLimitBlock;

    /// <summary>A 429 waits for what it asked; anything else backs off exponentially with full jitter:
    /// uniform in [0, min(MaxDelay, BaseDelay × 2^attempt)] (attempt 0 is the first retry).</summary>
    private static TimeSpan Delay(Outcome<AttemptResult> outcome, int attempt, RetryOptions retry)
    {
        if (outcome.Result?.Failure is { Kind: FailureKind.RateLimited } failure)
        {
            return RateLimitWait(failure);
        }
        var ceiling = Math.Min(retry.MaxDelay.Ticks, retry.BaseDelay.Ticks * Math.Pow(2, Math.Min(attempt, 30)));
        return TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * ceiling));
    }
}
