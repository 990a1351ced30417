using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Parley.Silo.Cluster;

/// <summary>Runs grain calls that are safe to repeat (reads, idempotent writes, a turn stored under its key) through a
/// Polly retry pipeline: while a dead silo's grains move (about two seconds with the default membership settings) the
/// call is retried with backoff, for at most <see cref="ClusterCallOptions.RetryBudget"/>. Past that the last failure
/// propagates, and the error handler answers it with 503 and <c>Retry-After</c>.</summary>
public sealed partial class ClusterCalls
{
    private readonly ResiliencePipeline _pipeline;

    public ClusterCalls(IOptions<SiloClusterOptions> options, TimeProvider timeProvider, ILogger<ClusterCalls> logger)
    {
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ClusterFaults.IsTransient),
                MaxRetryAttempts = AttemptsWithin(options.Value.TransientRetryBudget),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(1),
                OnRetry = args =>
                {
                    LogRetry(logger, args.AttemptNumber + 1, args.Outcome.Exception?.GetType().Name);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Retries whose backoff (100 ms doubling to 1 s) fits the budget: the budget bounds the waiting between
    /// attempts, never cuts a call that is answering (each attempt is bounded by the grain call timeout).</summary>
    internal static int AttemptsWithin(TimeSpan budget)
    {
        var attempts = 0;
        var waited = TimeSpan.Zero;
        for (var delay = TimeSpan.FromMilliseconds(100); waited + delay <= budget; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.TicksPerSecond)))
        {
            waited += delay;
            attempts++;
        }
        return Math.Max(1, attempts);
    }

    /// <summary>Runs <paramref name="call"/> (a grain call: grain methods return a task and take no token) through the
    /// retry; <paramref name="cancellationToken"/> stops the waiting between attempts. The task is handed to Polly as it
    /// is, without an async wrapper per call.</summary>
    public ValueTask<T> RunAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
        => _pipeline.ExecuteAsync(static (call, _) => new ValueTask<T>(call()), call, cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Grain call failed with {Fault} while the cluster changes; retry {Attempt}")]
    private static partial void LogRetry(ILogger logger, int attempt, string? fault);
}
