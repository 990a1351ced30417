using System.Diagnostics.Metrics;

namespace Parley.Silo.Audit;

/// <summary>The audit trail's health, under the meter <c>Parley.Audit</c>: <c>parley.audit.queue.depth</c> (records
/// waiting in memory), <c>parley.audit.spool.bytes</c> (records waiting on disk for the store),
/// <c>parley.audit.records.written</c> (stored, replays included), <c>parley.audit.records.spooled</c> (by reason:
/// <c>store_down</c>, <c>queue_full</c>) and <c>parley.audit.write.failures</c> (store writes that failed).</summary>
internal sealed class AuditMetrics : IDisposable
{
    public const string MeterName = "Parley.Audit";

    private readonly Meter _meter;
    private readonly Counter<long> _written;
    private readonly Counter<long> _spooled;
    private readonly Counter<long> _failures;
    private AuditSink? _sink;
    private AuditSpool? _spool;

    public AuditMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _written = _meter.CreateCounter<long>("parley.audit.records.written", "{record}", "Audit records written to the store");
        _spooled = _meter.CreateCounter<long>("parley.audit.records.spooled", "{record}", "Audit records spooled to disk, by reason (store_down, queue_full)");
        _failures = _meter.CreateCounter<long>("parley.audit.write.failures", "{batch}", "Audit store writes that failed (their records were spooled)");
        _meter.CreateObservableGauge("parley.audit.queue.depth", () => (long)(_sink?.QueueDepth ?? 0), "{record}", "Audit records queued in memory");
        _meter.CreateObservableGauge("parley.audit.spool.bytes", () => _spool?.PendingBytes ?? 0, "By", "Bytes of audit records spooled on disk");
    }

    public long Written { get; private set; }

    public long Failures { get; private set; }

    public void Observe(AuditSink sink, AuditSpool spool) => (_sink, _spool) = (sink, spool);

    public void Wrote(int records)
    {
        Written += records;
        _written.Add(records);
    }

    public void StoreDown(int records)
    {
        Failures++;
        _failures.Add(1);
        _spooled.Add(records, new KeyValuePair<string, object?>("reason", "store_down"));
    }

    public void SpooledWhileDown(int records) => _spooled.Add(records, new KeyValuePair<string, object?>("reason", "store_down"));

    public void Spilled() => _spooled.Add(1, new KeyValuePair<string, object?>("reason", "queue_full"));

    public void Dispose() => _meter.Dispose();
}
