using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Parley.Silo.Health;

/// <summary>Where the silo is in its life: started (the host has started, so membership has been joined), draining
/// (shutdown has begun: readiness fails so the front end and Kubernetes stop sending new work), and the end of the
/// drain grace period, after which streams still running are cut so the silo can persist state and leave.</summary>
public sealed class SiloLifecycleState : IHostedService, IDisposable
{
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeSpan _gracePeriod;
    private readonly CancellationTokenSource _graceExpired;
    private CancellationTokenRegistration _startedRegistration;
    private CancellationTokenRegistration _stoppingRegistration;
    private volatile bool _started;
    private volatile bool _draining;

    public SiloLifecycleState(IHostApplicationLifetime lifetime, IOptions<ShutdownOptions> shutdown, TimeProvider timeProvider)
    {
        _lifetime = lifetime;
        _gracePeriod = shutdown.Value.GracePeriod;
        _graceExpired = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
    }

    public bool Started => _started;

    public bool Draining => _draining;

    /// <summary>Cancelled once the grace period after the start of shutdown has passed.</summary>
    public CancellationToken GraceExpired => _graceExpired.Token;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _startedRegistration = _lifetime.ApplicationStarted.Register(static s => ((SiloLifecycleState)s!)._started = true, this);
        _stoppingRegistration = _lifetime.ApplicationStopping.Register(static s => ((SiloLifecycleState)s!).BeginDrain(), this);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Starts draining: called when the application begins stopping (tests may call it directly).</summary>
    public void BeginDrain()
    {
        if (_draining)
        {
            return;
        }
        _draining = true;
        _graceExpired.CancelAfter(_gracePeriod);
    }

    public void Dispose()
    {
        _startedRegistration.Dispose();
        _stoppingRegistration.Dispose();
        _graceExpired.Dispose();
    }
}
