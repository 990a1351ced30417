using System.Diagnostics.Metrics;
using Parley.Grains.Quotas;
using Parley.Silo.Quotas.Alerts;

namespace Parley.Silo.Quotas;

/// <summary>Where this silo's admissions are decided right now: in Redis for the whole cluster, or (Redis unreachable)
/// in process under the fail-open policy, or refused under the fail-closed one. Shown by the readiness probe and as the
/// gauge <c>parley.quota.mode</c> (0 cluster, 1 in-process, 2 refusing); every decision is counted in
/// <c>parley.quota.decisions</c> by mode (or <c>unanswered</c>), result (admitted, refused, unavailable), reason (the limit that refused, e.g.
/// <c>tokens_per_minute</c>; <c>store_unavailable</c>, <c>store_unanswered</c>; <c>none</c> when admitted) and scope (user, key, none).</summary>
internal sealed class QuotaStatus : IDisposable
{
    public const string MeterName = "Parley.Quotas";
    public const string Admitted = "admitted";
    public const string Refused = "refused";
    public const string Unavailable = "unavailable";
    public const string StoreUnavailableReason = "store_unavailable";
    /// <summary>Redis, reachable, did not answer in time: refused, counted apart, the mode unchanged.</summary>
    public const string Unanswered = "unanswered";
    public const string UnansweredReason = "store_unanswered";
    private const string None = "none";

    private readonly Meter _meter;
    private readonly Counter<long> _decisions;
    private volatile QuotaMode _mode = QuotaMode.Cluster;

    public QuotaStatus(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("parley.quota.mode", () => (int)_mode, "{mode}",
            "Where admissions are decided: 0 in Redis for the cluster; 1 in process (fail-open, Redis unreachable); 2 refusing (fail-closed)");
        _decisions = _meter.CreateCounter<long>("parley.quota.decisions", "{decision}",
            "Quota admission decisions by mode, result (admitted, refused, unavailable), reason and scope");
    }

    public QuotaMode Mode => _mode;

    public void Record(QuotaMode mode, QuotaRefusal? refusal)
    {
        _mode = mode;
        var tags = new System.Diagnostics.TagList
        {
            { "mode", ModeName(mode) },
        };
        if (mode == QuotaMode.Refusing)
        {
            tags.Add("result", Unavailable);
            tags.Add("reason", StoreUnavailableReason);
            tags.Add("scope", None);
        }
        else if (refusal is null)
        {
            tags.Add("result", Admitted);
            tags.Add("reason", None);
            tags.Add("scope", None);
        }
        else
        {
            tags.Add("result", Refused);
            tags.Add("reason", QuotaAlertNames.Budget(refusal.Kind));
            tags.Add("scope", QuotaAlertNames.Scope(refusal.Scope));
        }
        _decisions.Add(1, tags);
    }

    /// <summary>An admission refused because Redis, reachable, did not answer in time: no mode change (the store is
    /// there), counted apart.</summary>
    public void RecordUnanswered()
    {
        var tags = new System.Diagnostics.TagList
        {
            { "mode", Unanswered },
            { "result", Unavailable },
            { "reason", UnansweredReason },
            { "scope", None },
        };
        _decisions.Add(1, tags);
    }

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
