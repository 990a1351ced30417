using System.Diagnostics.Metrics;

namespace Parley.Silo.Routing;

/// <summary><c>parley.upstream.attempts</c>: every upstream attempt by deployment and result (<c>ok</c>, an HTTP status,
/// <c>timeout</c>, <c>error</c>); <c>parley.upstream.fallbacks</c>: calls that moved on from a deployment, by reason;
/// <c>parley.upstream.circuit_transitions</c>: circuits opening, half-opening and closing. Published with
/// System.Diagnostics.Metrics under the meter <c>Parley.Routing</c>.</summary>
internal sealed class RoutingMetrics : IDisposable
{
    public const string MeterName = "Parley.Routing";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _circuit;

    public RoutingMetrics()
    {
        _attempts = _meter.CreateCounter<long>("parley.upstream.attempts", "{attempt}", "Upstream attempts by deployment and result");
        _fallbacks = _meter.CreateCounter<long>("parley.upstream.fallbacks", "{call}", "Calls that moved from a deployment to the next, by reason");
        _circuit = _meter.CreateCounter<long>("parley.upstream.circuit_transitions", "{transition}", "Circuit breaker transitions by deployment and state");
    }

    public void Attempt(string deployment, string result)
        => _attempts.Add(1, new KeyValuePair<string, object?>("deployment", deployment), new KeyValuePair<string, object?>("result", result));

    public void Fallback(string deployment, string reason)
        => _fallbacks.Add(1, new KeyValuePair<string, object?>("deployment", deployment), new KeyValuePair<string, object?>("reason", reason));

    public void Circuit(string deployment, string state)
        => _circuit.Add(1, new KeyValuePair<string, object?>("deployment", deployment), new KeyValuePair<string, object?>("state", state));

    public void Dispose() => _meter.Dispose();
}
