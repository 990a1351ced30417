using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Parley.Sim.Hosting;

namespace Parley.Silo.Providers;

/// <summary>Runs the simulator inside the silo process on a loopback port the OS picks, so nothing outside the machine
/// can reach it and it never collides with another process. Settings: <c>Parley:Simulator:*</c> (the simulator's own
/// option names).</summary>
public sealed partial class EmbeddedSimulatorHost(IConfiguration configuration, TimeProvider timeProvider, ILogger<EmbeddedSimulatorHost> logger)
    : IHostedService, IAsyncDisposable
{
    private SimulatorHost? _simulator;

    /// <summary>The simulator's API root (<c>http://127.0.0.1:port/v1/</c>); available once the host has started.</summary>
    public Uri BaseAddress => _simulator?.BaseUrl ?? throw new InvalidOperationException("The embedded simulator has not started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var section = configuration.GetSection(EmbeddedSimulator.SectionName);
        var acceptAnyModelConfigured = section[nameof(SimulatorOptions.AcceptAnyModel)] is not null;
        _simulator = await SimulatorHost.StartAsync(
            options =>
            {
                // Unless configured otherwise it lists parley-sim and answers any model mapped onto it.
                if (options.Models.Length == 0)
                {
                    options.Models = [EmbeddedSimulator.ModelName];
                }
                if (!acceptAnyModelConfigured)
                {
                    options.AcceptAnyModel = true;
                }
                if (options.ContextWindow == SimulatorOptions.UnlimitedContextWindow)
                {
                    options.ContextWindow = EmbeddedSimulator.ContextWindow;
                }
            },
            timeProvider,
            section,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        LogStarted(logger, _simulator.Url);
    }

    // Hosted services stop in reverse order of registration, so this runs after the web server has drained and no
    // stream still needs the simulator.
    public Task StopAsync(CancellationToken cancellationToken) => _simulator?.App.StopAsync(cancellationToken) ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync().ConfigureAwait(false);
            _simulator = null;
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Embedded upstream simulator listening on {Address}: model 'parley-sim' is simulated, not a real LLM.")]
    private static partial void LogStarted(ILogger logger, Uri address);
}
