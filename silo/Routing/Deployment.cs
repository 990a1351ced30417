using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Parley.Silo.Providers;
using Parley.Silo.Providers.Wire;
using Parley.Silo.Resilience;
using Polly;
using Polly.CircuitBreaker;

namespace Parley.Silo.Routing;

/// <summary>What one call asks of a deployment: the OpenAI-shaped body and what the key pool paces by.</summary>
internal readonly record struct RouteRequest(UpstreamBody Body, bool Stream, IHeaderDictionary? ClientHeaders, int TokenCost, int RequiredWindow);

/// <summary>A provider serving one upstream model, shared by every model group that names the pair: its resilience
/// pipeline, its circuit, and what routing knows of it (time to first byte, calls in flight, when it last had one).</summary>
internal sealed partial class Deployment : IDeploymentEvents
{
    private readonly ResiliencePipeline<AttemptResult> _pipeline;
    private readonly CircuitBreakerStateProvider? _circuit;
    private readonly TimeProvider _time;
    private readonly RoutingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly double _smoothing;
    private readonly Lock _latencyLock = new();
    private long _openUntilTicks;
    private double _latencyMs;
    private int _inFlight;
    private long _lastChosenTicks;

    public Deployment(IChatProvider provider, string upstreamModel, RoutingOptions routing, TimeProvider time, RoutingMetrics metrics, ILogger logger)
    {
        _metrics = metrics;
        Provider = provider;
        Model = new UpstreamModelName(upstreamModel);
        Name = provider.Name + "/" + upstreamModel;
        _time = time;
        _logger = logger;
        _smoothing = routing.LatencySmoothing;
        _circuit = provider.Options.Resilience.CircuitBreaker.Enabled ? new CircuitBreakerStateProvider() : null;
        _pipeline = DeploymentPipeline.Build(Name, provider.Options.Resilience, time, this, _circuit);
        metrics.Track(this);
    }

    /// <summary><c>provider/upstream-model</c>.</summary>
    public string Name { get; }

    public IChatProvider Provider { get; }

    public UpstreamModelName Model { get; }

    public string? Region => Provider.Options.Region;

    public ResilienceOptions Resilience => Provider.Options.Resilience;

    /// <summary>Closed, Open, HalfOpen (or Closed without a breaker).</summary>
    public CircuitState Circuit => _circuit?.CircuitState ?? CircuitState.Closed;

    /// <summary>Until when routing skips this deployment (its circuit is open); then one trial call may pass.</summary>
    public DateTimeOffset OpenUntil => new(Interlocked.Read(ref _openUntilTicks), TimeSpan.Zero);

    public bool IsOpen(DateTimeOffset now) => now.UtcTicks < Interlocked.Read(ref _openUntilTicks);

    /// <summary>Smoothed time to first byte of successful attempts, in ms (0 until the first).</summary>
    public double LatencyMs
    {
        get
        {
            lock (_latencyLock)
            {
                return _latencyMs;
            }
        }
    }

    public int InFlight => Volatile.Read(ref _inFlight);

    public long LastChosenTicks => Interlocked.Read(ref _lastChosenTicks);

    public void MarkChosen(DateTimeOffset now) => Interlocked.Exchange(ref _lastChosenTicks, now.UtcTicks);

    /// <summary>Runs the call through the pipeline (retries, breaker, first-byte timeout). An exception the pipeline gave
    /// up on is returned, not thrown, except the caller's own cancellation.</summary>
    public async ValueTask<DeploymentOutcome> ExecuteAsync(RouteRequest route, CancellationToken cancellationToken)
    {
        var state = new AttemptState(this, route, cancellationToken);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        Started();
        Outcome<AttemptResult> outcome;
        try
        {
            outcome = await _pipeline.ExecuteOutcomeAsync(static async (ctx, s) =>
            {
                s.Attempts++;
                var deployment = s.Deployment;
                try
                {
                    var result = await deployment.AttemptAsync(s.Route, s.CallerToken, ctx.CancellationToken).ConfigureAwait(false);
                    deployment._metrics.Attempt(deployment.Name, result.Failure is { } failure ? failure.Status.ToString(CultureInfo.InvariantCulture) : "ok");
                    return Outcome.FromResult(result);
                }
                catch (Exception e)
                {
                    deployment._metrics.Attempt(deployment.Name, e is OperationCanceledException && !s.CallerToken.IsCancellationRequested ? "timeout" : "error");
                    return Outcome.FromException<AttemptResult>(e);
                }
            }, context, state).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
        if (outcome.Result is not { IsSuccess: true })
        {
            // Only an answer to relay stays in flight (until its RoutedCall is disposed).
            Finished();
        }
        if (outcome.Exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            ExceptionDispatchInfo.Throw(outcome.Exception);
        }
        return new DeploymentOutcome(this, outcome.Result, outcome.Exception, state.Attempts);
    }

    /// <summary>A call is in flight on this deployment until <see cref="Finished"/>.</summary>
    internal void Started() => Interlocked.Increment(ref _inFlight);

    /// <summary>The success of <see cref="ExecuteAsync"/> has been relayed (its call is disposed).</summary>
    public void Finished() => Interlocked.Decrement(ref _inFlight);

    private async Task<AttemptResult> AttemptAsync(RouteRequest route, CancellationToken callerToken, CancellationToken attemptToken)
    {
        var started = Stopwatch.GetTimestamp();
        var call = await Provider.SendAsync(new UpstreamRequest(route.Body, Model, route.Stream, route.ClientHeaders, route.TokenCost, callerToken), attemptToken)
            .ConfigureAwait(false);
        try
        {
            if (!call.IsSuccess)
            {
                var error = await call.ReadErrorAsync(attemptToken).ConfigureAwait(false);
                var failure = UpstreamFailure.From(call, error, Provider.Name, _time.GetUtcNow());
                call.Dispose();
                return AttemptResult.Failed(failure);
            }
            var body = await call.OpenBodyAsync(attemptToken).ConfigureAwait(false);
            var peeked = await PeekedStream.PeekAsync(body.Stream, attemptToken).ConfigureAwait(false)
                ?? throw new UpstreamEmptyBodyException(Provider.Name);
            RecordLatency(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return AttemptResult.Succeeded(call, body with { Stream = peeked });
        }
        catch (Exception e)
        {
            call.Dispose();
            if (e is not OperationCanceledException || !callerToken.IsCancellationRequested)
            {
                // Headers came but the body did not (timeout, cut, garbage): the key's grain counts it like no answer.
                await Provider.ReportFailureAsync(call).ConfigureAwait(false);
            }
            throw;
        }
    }

    internal void RecordLatency(double ms)
    {
        lock (_latencyLock)
        {
            _latencyMs = _latencyMs == 0 ? ms : _smoothing * ms + (1 - _smoothing) * _latencyMs;
        }
    }

    void IDeploymentEvents.CircuitOpened(TimeSpan breakDuration)
    {
        Interlocked.Exchange(ref _openUntilTicks, (_time.GetUtcNow() + breakDuration).UtcTicks);
        _metrics.Circuit(Name, RoutingMetrics.Open);
        LogCircuitOpened(_logger, Name, breakDuration);
    }

    void IDeploymentEvents.CircuitHalfOpened()
    {
        Interlocked.Exchange(ref _openUntilTicks, 0);
        _metrics.Circuit(Name, RoutingMetrics.HalfOpen);
        LogCircuitHalfOpened(_logger, Name);
    }

    void IDeploymentEvents.CircuitClosed()
    {
        Interlocked.Exchange(ref _openUntilTicks, 0);
        _metrics.Circuit(Name, RoutingMetrics.Closed);
        LogCircuitClosed(_logger, Name);
    }

    void IDeploymentEvents.Retrying(int attempt, TimeSpan delay, Outcome<AttemptResult> outcome)
        => LogRetrying(_logger, Name, attempt, delay.TotalMilliseconds,
            outcome.Exception?.GetType().Name ?? outcome.Result?.Failure?.Status.ToString(CultureInfo.InvariantCulture) ?? "?");

    private sealed class AttemptState(Deployment deployment, RouteRequest route, CancellationToken callerToken)
    {
        public Deployment Deployment { get; } = deployment;
        public RouteRequest Route { get; } = route;
        public CancellationToken CallerToken { get; } = callerToken;
        public int Attempts { get; set; }
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "The circuit of deployment {Deployment} opened for {BreakDuration}; routing skips it until then.")]
    private static partial void LogCircuitOpened(ILogger logger, string deployment, TimeSpan breakDuration);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "The circuit of deployment {Deployment} is half-open: one trial call may pass.")]
    private static partial void LogCircuitHalfOpened(ILogger logger, string deployment);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Information, Message = "The circuit of deployment {Deployment} closed.")]
    private static partial void LogCircuitClosed(ILogger logger, string deployment);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Debug, Message = "Deployment {Deployment}: retry {Attempt} in {DelayMs:0} ms after {Failure}.")]
    private static partial void LogRetrying(ILogger logger, string deployment, int attempt, double delayMs, string failure);
}

/// <summary>The end of a call on one deployment: its result (a success to relay, or the last refusal), or the exception
/// the pipeline gave up on, and how many attempts it took.</summary>
internal readonly record struct DeploymentOutcome(Deployment Deployment, AttemptResult? Result, Exception? Exception, int Attempts);
