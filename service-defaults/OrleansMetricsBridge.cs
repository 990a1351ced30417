using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace Parley.ServiceDefaults;

/// <summary>Re-records Orleans' millisecond histograms (grain call, activation, storage and directory latencies) in
/// seconds, Prometheus' base unit, under the meter <c>Parley.Orleans</c> with Orleans' instrument names and tags
/// (<c>orleans_app_requests_latency_seconds</c>, ...). Only the Orleans meter of this host's own container is bridged
/// (its <see cref="Meter.Scope"/> is this container's <see cref="IMeterFactory"/>), so hosts sharing a process, as in
/// tests, do not count each other's calls.</summary>
internal sealed class OrleansMetricsBridge : IHostedService, IDisposable
{
    public const string MeterName = "Parley.Orleans";

    private static readonly double[] SecondBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly IMeterFactory _meterFactory;
    private readonly Meter _meter;
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, Histogram<double>> _bridged = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public OrleansMetricsBridge(IMeterFactory meterFactory)
    {
        _meterFactory = meterFactory;
        _meter = meterFactory.Create(MeterName);
        _listener.InstrumentPublished = Publish;
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Histogram<double>)state!).Record(value / 1000, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Histogram<double>)state!).Record(value / 1000.0, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Histogram<double>)state!).Record(value / 1000.0, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((Histogram<double>)state!).Record(value / 1000.0, tags));
    }

    /// <summary>An Orleans histogram in milliseconds: replaced by its seconds twin.</summary>
    public static bool IsBridged(Instrument instrument)
        => instrument.Meter.Name == ParleyTelemetry.OrleansMeter && instrument.Unit == "ms" && IsHistogram(instrument);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Publish(Instrument instrument, MeterListener listener)
    {
        if (!IsBridged(instrument) || !ReferenceEquals(instrument.Meter.Scope, _meterFactory))
        {
            return;
        }
        Histogram<double> twin;
        lock (_lock)
        {
            if (!_bridged.TryGetValue(instrument.Name, out twin!))
            {
                twin = _meter.CreateHistogram(instrument.Name, "s",
                    string.IsNullOrEmpty(instrument.Description) ? "Orleans: " + instrument.Name.Replace('-', ' ') : instrument.Description,
                    tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondBuckets });
                _bridged[instrument.Name] = twin;
            }
        }
        listener.EnableMeasurementEvents(instrument, twin);
    }

    private static bool IsHistogram(Instrument instrument)
    {
        var type = instrument.GetType();
        return type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Histogram<>);
    }

    public void Dispose() => _listener.Dispose();
}
