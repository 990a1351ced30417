using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Silo.Providers;

namespace Parley.Silo.Telemetry;

/// <summary>The gauge <c>parley.upstream.keys</c>: how many keys of each provider's pool are in each state (active,
/// blocked, cooling, disabled; unknown while the pacing store cannot be read), as the cluster-wide store says. A scrape
/// must not wait on Redis, so the states are read every <see cref="RefreshInterval"/> in the background and the gauge
/// reports the last reading. Key ids are never labels: a disabled key is found with <c>GET /admin/upstream-keys</c>.</summary>
internal sealed partial class UpstreamKeyStateMetrics : BackgroundService
{
    public const string MeterName = "Parley.UpstreamKeys";
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(15);
    private static readonly string[] States = ["active", "blocked", "cooling", "disabled", "unknown"];

    private readonly ModelCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly ILogger<UpstreamKeyStateMetrics> _logger;
    private readonly Meter _meter;
    private volatile Measurement<int>[] _last = [];

    public UpstreamKeyStateMetrics(ModelCatalog catalog, TimeProvider time, IMeterFactory meterFactory, ILogger<UpstreamKeyStateMetrics> logger)
    {
        _catalog = catalog;
        _time = time;
        _logger = logger;
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge("parley.upstream.keys", () => _last, "{key}", "Upstream keys per provider and state (active, blocked, cooling, disabled, unknown)");
    }

    /// <summary>Reads every key's state now (the background loop calls it; a test may too).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var measurements = new List<Measurement<int>>();
        foreach (var pool in _catalog.KeyPools)
        {
            var counts = new int[States.Length];
            foreach (var key in pool.Keys)
            {
                try
                {
                    var health = await key.Grain.GetHealthAsync().WaitAsync(pool.Options.StoreTimeout, _time, cancellationToken).ConfigureAwait(false);
                    counts[Array.IndexOf(States, health.StateName) is var i and >= 0 ? i : States.Length - 1]++;
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    counts[States.Length - 1]++;
                    LogReadFailed(_logger, pool.Provider, e.GetType().Name);
                }
            }
            for (var s = 0; s < States.Length; s++)
            {
                measurements.Add(new Measurement<int>(counts[s],
                    new KeyValuePair<string, object?>("provider", pool.Provider), new KeyValuePair<string, object?>("state", States[s])));
            }
        }
        _last = [.. measurements];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RefreshInterval, _time);
        try
        {
            do
            {
                await RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 4120, Level = LogLevel.Debug, Message = "Reading the upstream key states of provider {Provider} for metrics failed ({Failure}); reported as unknown.")]
    private static partial void LogReadFailed(ILogger logger, string provider, string failure);
}
