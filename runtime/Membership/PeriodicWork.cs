namespace Parley.Runtime.Membership;

/// <summary>Background membership work (heartbeats, table refreshes) repeated on a period until the host stops. A failed
/// round is logged and retried on the next period: the table may be unreachable for a while, and a silo must
/// outlive that.</summary>
internal static class PeriodicWork
{
    /// <param name="delayFirst">Wait one period before the first round, where the caller has just done that work (the
    /// join writes the first heartbeat).</param>
    public static async Task RunAsync(Func<CancellationToken, Task> round, Action<Exception> failed, TimeSpan period, TimeProvider time,
        bool delayFirst, CancellationToken cancellationToken)
    {
        if (delayFirst)
        {
            await Task.Delay(period, time, cancellationToken).ConfigureAwait(false);
        }
        while (true)
        {
            try
            {
                await round(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed(ex);
            }
            await Task.Delay(period, time, cancellationToken).ConfigureAwait(false);
        }
    }
}
