using System.Diagnostics.Metrics;

namespace Parley.Silo.Routing;

/// <summary>Routing and upstream metrics under the meter <c>Parley.Routing</c>: <c>parley.upstream.attempts</c> (every
/// upstream attempt by deployment and result: <c>ok</c>, an HTTP status, <c>timeout</c>, <c>error</c>);
/// <c>parley.upstream.fallbacks</c> (calls that moved on from a deployment, by reason); <c>parley.upstream.rate_limited</c>
/// (upstream 429 answers by provider, including those another key of the pool then absorbed);
/// <c>parley.upstream.circuit_transitions</c> and the gauge <c>parley.upstream.circuit_state</c> (1 for the state each
/// deployment's circuit is in, 0 for the others). Labels are configured names only.</summary>
internal sealed class RoutingMetrics : IDisposable
{
    public const string MeterName = "Parley.Routing";
    public const string Closed = "closed";
    public const string Open = "open";
    public const string HalfOpen = "half_open";
    private static readonly string[] CircuitStates = [Closed, Open, HalfOpen];

    private readonly Meter _meter;
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _circuit;
    private readonly Counter<long> _rateLimited;
    private readonly Lock _lock = new();
    private readonly List<Deployment> _deployments = [];
    private readonly TimeProvider _time;

    public RoutingMetrics(IMeterFactory? meterFactory = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _attempts = _meter.CreateCounter<long>("parley.upstream.attempts", "{attempt}", "Upstream attempts by deployment and result (ok, an HTTP status, timeout, error)");
        _fallbacks = _meter.CreateCounter<long>("parley.upstream.fallbacks", "{call}", "Calls that moved from a deployment to the next, by reason");
        _circuit = _meter.CreateCounter<long>("parley.upstream.circuit_transitions", "{transition}", "Circuit breaker transitions by deployment and the state entered");
        _rateLimited = _meter.CreateCounter<long>("parley.upstream.rate_limited", "{response}", "429 answers from upstream providers, by provider");
        _meter.CreateObservableGauge("parley.upstream.circuit_state", ObserveCircuits, "{state}",
            "1 for the state (closed, open, half_open) each deployment's circuit breaker is in, 0 for the others");
    }

    public void Attempt(string deployment, string result)
        => _attempts.Add(1, new KeyValuePair<string, object?>("deployment", deployment), new KeyValuePair<string, object?>("result", result));

    public void Fallback(string deployment, string reason)
        => _fallbacks.Add(1, new KeyValuePair<string, object?>("deployment", deployment), new KeyValuePair<string, object?>("reason", reason));

    public void Circuit(string deployment, string state)
        => _circuit.Add(1, new KeyValuePair<string, object?>("deployment", deployment), new KeyValuePair<string, object?>("state", state));

    public void RateLimited(string provider) => _rateLimited.Add(1, new KeyValuePair<string, object?>("provider", provider));

    /// <summary>A deployment whose circuit the state gauge reports (every deployment of the catalog registers once).</summary>
    public void Track(Deployment deployment)
    {
        lock (_lock)
        {
            _deployments.Add(deployment);
        }
    }

    /// <summary>Open while routing skips the deployment (until its break ends), then Polly's own state.</summary>
    public static string CircuitStateOf(Deployment deployment, DateTimeOffset now) => deployment.IsOpen(now)
        ? Open
        : deployment.Circuit switch
        {
            Polly.CircuitBreaker.CircuitState.HalfOpen => HalfOpen,
            Polly.CircuitBreaker.CircuitState.Open or Polly.CircuitBreaker.CircuitState.Isolated => Open,
            _ => Closed,
        };

    private IEnumerable<Measurement<int>> ObserveCircuits()
    {
        Deployment[] deployments;
        lock (_lock)
        {
            deployments = [.. _deployments];
        }
        var now = _time.GetUtcNow();
        var measurements = new List<Measurement<int>>(deployments.Length * CircuitStates.Length);
        foreach (var deployment in deployments)
        {
            var current = CircuitStateOf(deployment, now);
            foreach (var state in CircuitStates)
            {
                measurements.Add(new Measurement<int>(state == current ? 1 : 0,
                    new KeyValuePair<string, object?>("deployment", deployment.Name), new KeyValuePair<string, object?>("state", state)));
            }
        }
        return measurements;
    }

    public void Dispose() => _meter.Dispose();
}
