namespace Parley.Runtime.Membership;

/// <summary>The agent's background work: join (retrying while the table is unreachable), then heartbeats and refreshes
/// on their own periods until the host stops. Failures are logged and retried on the next period.</summary>
internal sealed partial class MembershipAgent
{
    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var address = SiloAddressResolver.Resolve(_options, _services);
            while (!_joined)
            {
                try
                {
                    await JoinAsync(address, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _log.JoinFailed(ex);
                    await Task.Delay(ErrorRetryDelay, _time, cancellationToken).ConfigureAwait(false);
                }
            }
            await Task.WhenAll(HeartbeatLoopAsync(cancellationToken), RefreshLoopAsync(cancellationToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            _log.JoinFailed(ex);
        }
    }

    private Task HeartbeatLoopAsync(CancellationToken cancellationToken)
        => PeriodicWork.RunAsync(HeartbeatAsync, ex => _log.HeartbeatFailed(_self?.SiloId ?? "(unknown)", ex),
            _options.IAmAlivePeriod, _time, delayFirst: true, cancellationToken);

    private Task RefreshLoopAsync(CancellationToken cancellationToken)
        => PeriodicWork.RunAsync(RefreshAsync, _log.RefreshFailed, _options.RefreshPeriod, _time, delayFirst: false, cancellationToken);
}
