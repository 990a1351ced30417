using System.Diagnostics.Metrics;

namespace Parley.Silo.Quotas;

/// <summary>Where this silo's admissions are decided right now: in Redis for the whole cluster, or (Redis unreachable)
/// in process under the fail-open policy, or refused under the fail-closed one. Shown by the readiness probe and as the
/// gauge <c>parley.quota.mode</c> (0 cluster, 1 in-process, 2 refusing).</summary>
internal sealed class QuotaStatus : IDisposable
{
    public const string MeterName = "Parley.Quotas";
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _decisions;
    private volatile QuotaMode _mode = QuotaMode.Cluster;

    public QuotaStatus()
    {
        _meter.CreateObservableGauge("parley.quota.mode", () => (int)_mode, description: "0: decided in Redis for the cluster; 1: in-process fallback (fail-open); 2: refusing (fail-closed)");
        _decisions = _meter.CreateCounter<long>("parley.quota.decisions", description: "Admission decisions by outcome and where they were made (unanswered: refused because Redis did not answer in time)");
    }

    public QuotaMode Mode => _mode;

    public void Record(QuotaMode mode, bool admitted)
    {
        _mode = mode;
        _decisions.Add(1, new KeyValuePair<string, object?>("mode", ModeName(mode)), new KeyValuePair<string, object?>("admitted", admitted));
    }

    /// <summary>An admission refused because Redis, reachable, did not answer in time: no mode change (the store is
    /// there), counted apart.</summary>
    public void RecordUnanswered()
        => _decisions.Add(1, new KeyValuePair<string, object?>("mode", "unanswered"), new KeyValuePair<string, object?>("admitted", false));

    public static string ModeName(QuotaMode mode) => mode switch
    {
        QuotaMode.Cluster => "cluster",
        QuotaMode.InProcess => "in_process",
        _ => "refusing",
    };

    public void Dispose() => _meter.Dispose();
}

internal enum QuotaMode
{
    Cluster,
    InProcess,
    Refusing,
}
