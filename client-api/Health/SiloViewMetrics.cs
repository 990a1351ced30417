using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;

namespace Parley.ClientApi.Health;

/// <summary>The gauge <c>parley.frontend.silos</c> (meter <c>Parley.FrontEnd</c>): the silos this front end knows,
/// those probed ready and not benched (<c>healthy</c>) and those new requests may go to (<c>in_rotation</c>), as its
/// readiness body counts them. A silo that dies shows here before Prometheus' own scrape of it fails.</summary>
internal sealed class SiloViewMetrics : IHostedService, IDisposable
{
    public const string MeterName = "Parley.FrontEnd";
    private readonly Meter _meter;

    public SiloViewMetrics(ISiloView view, IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge<int>("parley.frontend.silos", IEnumerable<Measurement<int>> () =>
        {
            var silos = view.Silos;
            int healthy = 0, inRotation = 0;
            foreach (var silo in silos)
            {
                healthy += silo.IsHealthy ? 1 : 0;
                inRotation += silo.IsInRotation ? 1 : 0;
            }
            return
            [
                new Measurement<int>(silos.Count, new KeyValuePair<string, object?>("state", "known")),
                new Measurement<int>(healthy, new KeyValuePair<string, object?>("state", "healthy")),
                new Measurement<int>(inRotation, new KeyValuePair<string, object?>("state", "in_rotation")),
            ];
        }, "{silo}", "Silos the front end knows, those healthy, and those in rotation");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _meter.Dispose();
}
