using Microsoft.Extensions.Hosting;

namespace Parley.Runtime.Grains;

/// <summary>Every <see cref="Hosting.GrainRuntimeOptions.CollectionQuantum"/>, deactivates activations that have
/// been idle longer than their grain type's collection age. A pass that is still running when the next one is due
/// is not overlapped.</summary>
internal sealed class ActivationCollector(GrainCatalog catalog) : IHostedService, IAsyncDisposable
{
    private ITimer? _timer;
    private int _collecting;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var quantum = catalog.Options.CollectionQuantum;
        _timer = catalog.TimeProvider.CreateTimer(static s => ((ActivationCollector)s!).OnTick(), this, quantum, quantum);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_timer is { } timer)
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _timer?.DisposeAsync() ?? ValueTask.CompletedTask;

    private void OnTick()
    {
        if (Interlocked.Exchange(ref _collecting, 1) == 1)
        {
            return;
        }
        _ = CollectAsync();
    }

    private async Task CollectAsync()
    {
        try
        {
            await catalog.CollectIdleAsync().ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _collecting, 0);
        }
    }
}
