using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;

namespace Parley.ServiceDefaults;

/// <summary>Views that keep every scrape clean for <c>promtool check metrics</c> (Prometheus' naming rules) without
/// losing a measurement: the runtime's four <c>*.count</c> gauges get names without the histogram-reserved
/// <c>_count</c> suffix; Orleans' instruments without a description get one; Orleans' millisecond histograms are
/// replaced by second histograms (<see cref="OrleansMetricsBridge"/>) and its two megabyte gauges are dropped (the
/// runtime's and process' own memory metrics say the same in bytes).</summary>
internal static class PrometheusConventions
{
    /// <summary>System.Runtime's gauges whose OpenTelemetry names end in <c>.count</c>, and their Prometheus-safe names.</summary>
    internal static readonly IReadOnlyDictionary<string, string> RuntimeRenames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["dotnet.assembly.count"] = "dotnet.assemblies.loaded",
        ["dotnet.process.cpu.count"] = "dotnet.process.cpus",
        ["dotnet.thread_pool.thread.count"] = "dotnet.thread_pool.threads",
        ["dotnet.timer.count"] = "dotnet.timers",
    };

    public static MeterProviderBuilder AddPrometheusConventions(this MeterProviderBuilder metrics) => metrics.AddView(View);

    private static MetricStreamConfiguration? View(Instrument instrument)
    {
        if (instrument.Meter.Name == "System.Runtime" && RuntimeRenames.TryGetValue(instrument.Name, out var renamed))
        {
            return new MetricStreamConfiguration { Name = renamed };
        }
        if (instrument.Meter.Name != ParleyTelemetry.OrleansMeter)
        {
            return null;
        }
        if (OrleansMetricsBridge.IsBridged(instrument) || instrument.Unit == "MB")
        {
            return MetricStreamConfiguration.Drop;
        }
        return string.IsNullOrEmpty(instrument.Description)
            ? new MetricStreamConfiguration { Description = "Orleans: " + instrument.Name.Replace('-', ' ') }
            : null;
    }
}
