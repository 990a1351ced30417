using System.Diagnostics.Metrics;

namespace Parley.Silo.Quotas.Alerts;

/// <summary><c>parley.quota.alerts</c>: one per alert (kind, threshold, scope), counted when it happens whatever becomes
/// of its webhook; <c>parley.quota.alert_webhooks</c>: what became of each delivery attempt's alert (outcome), so a
/// dead receiver shows up on a dashboard rather than only in logs.</summary>
internal sealed class QuotaAlertMetrics : IDisposable
{
    public const string MeterName = "Parley.Quotas";
    public const string AlertsName = "parley.quota.alerts";
    public const string WebhooksName = "parley.quota.alert_webhooks";

    public const string Delivered = "delivered";
    public const string Retry = "retry";
    public const string Failed = "failed";
    public const string Rejected = "rejected";
    public const string Dropped = "dropped";

    private readonly Counter<long> _alerts;
    private readonly Counter<long> _webhooks;

    public QuotaAlertMetrics()
    {
        _alerts = Meter.CreateCounter<long>(AlertsName, unit: "{alert}", description: "Budget thresholds crossed (50, 80, 100 %), one per threshold per period");
        _webhooks = Meter.CreateCounter<long>(WebhooksName, unit: "{event}", description: "Alert webhook outcomes: delivered, retry, failed (gave up), rejected (4xx), dropped (queue full or shutdown)");
    }

    public Meter Meter { get; } = new(MeterName);

    public void Alert(string budget, int thresholdPercent, string scope) => _alerts.Add(1,
        new KeyValuePair<string, object?>("kind", budget),
        new KeyValuePair<string, object?>("threshold", thresholdPercent),
        new KeyValuePair<string, object?>("scope", scope));

    public void Webhook(string outcome) => _webhooks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose() => Meter.Dispose();
}
