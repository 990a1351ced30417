using Microsoft.Extensions.Hosting;

namespace Parley.Runtime.Grains;

/// <summary>Deactivates every activation when the host stops. It runs in StoppedAsync, after the web server has
/// drained its in-flight requests (those may still be calling grains), so each grain's OnDeactivateAsync (its final
/// state write) sees the last turn.</summary>
internal sealed class GrainRuntimeLifecycle(GrainCatalog catalog) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The host's shutdown token is deliberately not used: DeactivationTimeout bounds this on its own, and cutting it
    // shorter than configured would lose grain state.
    public Task StoppedAsync(CancellationToken cancellationToken) => catalog.DeactivateAllAsync(CancellationToken.None);
}
