using System.Net;
using Parley.Cli.Hosting;

namespace Parley.Cli.Api;

/// <summary>Which failures are worth another attempt and when: 429 after its Retry-After; 408, 409 and 5xx, and a
/// connection that failed or broke, after exponential backoff with full jitter (or the server's Retry-After when it
/// gave one); every other 4xx never (the request itself is wrong, so another attempt would fail the same way).</summary>
public sealed class RetryPolicy(int maxRetries, TimeProvider time, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
{
    public static readonly TimeSpan DefaultBaseDelay = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _baseDelay = baseDelay ?? DefaultBaseDelay;
    private readonly TimeSpan _maxDelay = maxDelay ?? DefaultMaxDelay;

    public int MaxRetries { get; } = maxRetries;

    /// <summary>How long to wait before attempt <paramref name="attempt"/> + 1 after <paramref name="failure"/>, or
    /// null when it must not be retried (not retryable, or retries used up).</summary>
    public TimeSpan? DelayBeforeRetry(Exception failure, int attempt)
    {
        if (attempt > MaxRetries || !IsRetryable(failure))
        {
            return null;
        }
        if (failure is ParleyApiException { RetryAfter: { } retryAfter })
        {
            return retryAfter;
        }
        var ceiling = Math.Min(_maxDelay.TotalMilliseconds, _baseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }

    public static bool IsRetryable(Exception failure) => failure switch
    {
        ParleyApiException api => api.Status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout or HttpStatusCode.Conflict
            || (int)api.Status >= 500,
        ServerUnreachableException or HttpRequestException or IOException => true,
        CliException => false,
        _ => false,
    };

    /// <summary>Runs <paramref name="attempt"/> until it succeeds, fails for good, or retries run out (the last failure
    /// is thrown). <paramref name="beforeAttempt"/> runs before each try (e.g. to wait for a pacing slot).</summary>
    public async Task<T> RunAsync<T>(Func<int, CancellationToken, Task<T>> attempt, Func<CancellationToken, ValueTask>? beforeAttempt,
        Action<Exception, int, TimeSpan>? onRetry, CancellationToken cancellationToken)
    {
        for (var number = 1; ; number++)
        {
            if (beforeAttempt is not null)
            {
                await beforeAttempt(cancellationToken).ConfigureAwait(false);
            }
            try
            {
                return await attempt(number, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException && DelayBeforeRetry(e, number) is { } delay)
            {
                onRetry?.Invoke(e, number, delay);
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
