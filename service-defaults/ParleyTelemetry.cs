namespace Parley.ServiceDefaults;

/// <summary>Names every host's telemetry is wired with. Any <see cref="System.Diagnostics.Metrics.Meter"/> or
/// <see cref="System.Diagnostics.ActivitySource"/> whose name starts with <c>Parley.</c> is collected without further
/// wiring: a new feature creates its meter (through <c>IMeterFactory</c>) under that prefix and is on <c>/metrics</c>.</summary>
public static class ParleyTelemetry
{
    public const string MeterPrefix = "Parley.*";
    public const string ActivitySourcePrefix = "Parley.*";

    /// <summary>Orleans' own meter (activations, messaging, membership, directory, ...).</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>Orleans' spans for grain calls (with activity propagation on), grain storage and activation lifecycle.
    /// Its runtime source (membership probes and other system targets) is left out: it is noise in a request's trace.</summary>
    public static readonly string[] OrleansActivitySources =
    [
        "Microsoft.Orleans.Application",
        "Microsoft.Orleans.Storage",
        "Microsoft.Orleans.Lifecycle",
    ];

    /// <summary>Probe and scrape paths: no spans for them (the front end probes every silo every second).</summary>
    public static bool IsHousekeepingPath(ReadOnlySpan<char> path)
        => path.StartsWith("/health/", StringComparison.OrdinalIgnoreCase) || path.Equals(MetricsEndpointOptions.DefaultPath, StringComparison.OrdinalIgnoreCase);
}
