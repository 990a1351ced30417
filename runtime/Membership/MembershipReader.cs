using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Parley.Runtime.Hosting;

namespace Parley.Runtime.Membership;

/// <summary>A read-only view of the cluster for processes that are not silos (the front end): re-reads the table
/// every <see cref="MembershipOptions.RefreshPeriod"/> and publishes the live silos, with no row of its own.</summary>
internal sealed class MembershipReader : IHostedService, IClusterMembership, IAsyncDisposable
{
    private readonly IMembershipTable _table;
    private readonly MembershipOptions _options;
    private readonly TimeProvider _time;
    private readonly MembershipLog _log;
    private readonly MembershipView _view;
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    public MembershipReader(IMembershipTable table, IOptions<MembershipOptions> options, TimeProvider time, ILogger<MembershipReader> logger)
    {
        _table = table;
        _options = options.Value;
        _time = time;
        _log = new MembershipLog(logger);
        _view = new MembershipView(_log);
    }

    public IReadOnlyList<MembershipEntry> LiveSilos => _view.LiveSilos;

    public Task WaitForChangeAsync(CancellationToken cancellationToken) => _view.WaitForChangeAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _run = RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
        await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Reads the table once and publishes the live silos.</summary>
    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var data = await _table.ReadAll(cancellationToken).ConfigureAwait(false);
        _view.Update(data, _time.GetUtcNow(), _options.DeathTimeout);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PeriodicWork.RunAsync(RefreshAsync, _log.RefreshFailed, _options.RefreshPeriod, _time, delayFirst: false, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
