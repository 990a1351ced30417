using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Parley.Silo.Health;

/// <summary>Where the silo is in its life: started (the host has started, Orleans included), draining (shutdown has
/// begun: readiness fails so the front end and Kubernetes stop sending new work), and the end of the grace period,
/// after which streams still running are cut so the silo can leave. On stop it holds the host for the drain delay
/// before anything else stops, so requests already on their way still find a listening silo.</summary>
public sealed class SiloLifecycleState : IHostedLifecycleService, IDisposable
{
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ShutdownOptions _shutdown;
    private readonly TimeProvider _timeProvider;
    private readonly CancellationTokenSource _graceExpired;
    private readonly Lock _drainLock = new();
    private CancellationTokenRegistration _startedRegistration;
    private CancellationTokenRegistration _stoppingRegistration;
    private volatile bool _started;
    private volatile bool _draining;

    public SiloLifecycleState(IHostApplicationLifetime lifetime, IOptions<ShutdownOptions> shutdown, TimeProvider timeProvider)
    {
        _lifetime = lifetime;
        _shutdown = shutdown.Value;
        _timeProvider = timeProvider;
        _graceExpired = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
    }

    public bool Started => _started;

    public bool Draining => _draining;

    /// <summary>Cancelled once the drain delay and then the grace period have passed since draining began.</summary>
    public CancellationToken GraceExpired => _graceExpired.Token;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _startedRegistration = _lifetime.ApplicationStarted.Register(static s => ((SiloLifecycleState)s!)._started = true, this);
        // A stop requested through the lifetime (SIGTERM) drains too, even before the host gets to stopping.
        _stoppingRegistration = _lifetime.ApplicationStopping.Register(static s => ((SiloLifecycleState)s!).BeginDrain(), this);
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs before any hosted service stops (Kestrel and Orleans included): fail readiness, keep serving for
    /// the drain delay, then start the grace period in which in-flight requests finish.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        BeginDrain();
        try
        {
            await Task.Delay(_shutdown.DrainDelay, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's stop budget ran out: stop now.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Starts draining: readiness fails from now on, and the grace period's end is set (tests may call it directly).</summary>
    public void BeginDrain()
    {
        lock (_drainLock)
        {
            if (_draining)
            {
                return;
            }
            _draining = true;
            _graceExpired.CancelAfter(_shutdown.DrainDelay + _shutdown.GracePeriod);
        }
    }

    public void Dispose()
    {
        _startedRegistration.Dispose();
        _stoppingRegistration.Dispose();
        _graceExpired.Dispose();
    }
}
