using Microsoft.Extensions.Logging;
using Parley.Grains.Redis;

namespace Parley.Silo.Providers;

/// <summary>Waiting for a granted start. The schedule spaces starts by 60 s / RPM plus the margin; what the upstream
/// counts is arrivals in its own window, so a start is only as good as the moment the call really leaves:
/// <list type="bullet">
/// <item>A call that leaves later than its start while the next one leaves on time puts the two closer than the
/// spacing. Within the margin's slack (<see cref="Tolerance"/>: half of what the margin leaves free in the upstream's
/// window) that is harmless; beyond it the call gives its start up and asks again, planned from the moment it can
/// really go. A start granted at once but answered late (a slow store) is such a start too.</item>
/// <item>Starts are granted up to the longest pacing wait ahead, so what the upstream reports meanwhile (a window fuller
/// than planned, because earlier calls arrived late or all at once; a 429) would reach only later acquisitions. A call
/// that waited confirms its start shortly before it (<see cref="Grains.UpstreamKeys.IUpstreamKeyStore.ConfirmStartAsync"/>)
/// and asks again when the key must wait past it.</item>
/// <item>Timers may fire a little early; a call never leaves before its start.</item>
/// </list></summary>
internal sealed partial class UpstreamKeyPool
{
    // A confirmation is read this much before the start, at least, and at most this much (twice the store's recent
    // round trip in between), so that its answer is back in time and what the upstream said until then is in it.
    private static readonly TimeSpan MinConfirmLead = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxConfirmLead = TimeSpan.FromMilliseconds(250);
    // Lateness that never voids a start (timer and scheduling noise), whatever the margin.
    private static readonly TimeSpan MinTolerance = TimeSpan.FromMilliseconds(2);

    // Smoothed round trip of the store's answers, in timestamp ticks of the TimeProvider.
    private long _roundTripTicks;

    /// <summary>How late a call may leave after its start: half of what the margin leaves free in the upstream's
    /// window (the other half is for the network's jitter). Beyond it, the call and the next one on time could put
    /// one call too many into one of the upstream's windows.</summary>
    public TimeSpan Tolerance(PoolKey key)
    {
        var slack = TimeSpan.FromTicks((long)(key.UpstreamWindow.Ticks * _options.PacingMargin / 2));
        return slack > MinTolerance ? slack : MinTolerance;
    }

    /// <summary>Whether a call on <paramref name="lease"/> leaving now is still within <see cref="Tolerance"/> of its
    /// start (unpaced and trial calls always are). Asked once more just before the request leaves: a busy machine may
    /// have held the call between the start and the send.</summary>
    public bool IsOnTime(KeyLease lease)
    {
        if (!lease.IsPaced || lease.IsTrial)
        {
            return true;
        }
        var late = _time.GetUtcNow() - lease.Start;
        if (late <= Tolerance(lease.Key))
        {
            return true;
        }
        LogStartMissed(_logger, Provider, lease.Key.Id, late);
        return false;
    }

    /// <summary>Waits for the lease's start; false when the start does not stand any more (the call must ask again).</summary>
    private async ValueTask<bool> WaitForStartAsync(KeyLease lease, CancellationToken cancellationToken)
    {
        try
        {
            var start = lease.Start;
            var lead = ConfirmLead();
            if (start - _time.GetUtcNow() > lead + lead)
            {
                await DelayUntilAsync(start - lead, cancellationToken).ConfigureAwait(false);
                if (!await ConfirmAsync(lease, cancellationToken).ConfigureAwait(false))
                {
                    LogStartWithdrawn(_logger, Provider, lease.Key.Id, start);
                    return false;
                }
            }
            await DelayUntilAsync(start, cancellationToken).ConfigureAwait(false);
            var late = _time.GetUtcNow() - start;
            // The one trial call after a cool-down probes the key; its timing does not matter and a retry would wait
            // for its trial lease to lapse.
            if (late > Tolerance(lease.Key) && !lease.IsTrial)
            {
                LogStartMissed(_logger, Provider, lease.Key.Id, late);
                return false;
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            Release(lease.Key, lease.LeaseId);
            throw;
        }
    }

    /// <summary>Whether the start still stands. A store that cannot answer in time leaves it as granted: the read decides
    /// nothing, and the lateness check after it still applies.</summary>
    private async ValueTask<bool> ConfirmAsync(KeyLease lease, CancellationToken cancellationToken)
    {
        var asked = _time.GetTimestamp();
        var budget = lease.Start + Tolerance(lease.Key) - _time.GetUtcNow();
        try
        {
            var pending = _store.ConfirmStartAsync(lease.Key.GrainKey, lease.Start, lease.Key.RequestSpacing, cancellationToken);
            var stands = pending.IsCompleted
                ? pending.Result
                : await pending.AsTask().WaitAsync(budget > TimeSpan.Zero ? budget : MinTolerance, _time, cancellationToken).ConfigureAwait(false);
            ObserveRoundTrip(_time.GetElapsedTime(asked));
            return stands;
        }
        catch (Exception e) when (RedisFailures.IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
        {
            return true;
        }
    }

    /// <summary>Never returns before <paramref name="until"/> (a timer may fire a millisecond or two early).</summary>
    private async ValueTask DelayUntilAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        for (var wait = until - _time.GetUtcNow(); wait > TimeSpan.Zero; wait = until - _time.GetUtcNow())
        {
            await Task.Delay(WholeMilliseconds(wait), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A wait rounded up to a whole millisecond: <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/>
    /// counts in whole milliseconds and completes at once below one, which would turn a sub-millisecond wait into a
    /// busy loop on the clock.</summary>
    private static TimeSpan WholeMilliseconds(TimeSpan wait)
        => TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds));

    private TimeSpan ConfirmLead()
    {
        var lead = RoundTrip() * 2;
        return lead < MinConfirmLead ? MinConfirmLead : lead > MaxConfirmLead ? MaxConfirmLead : lead;
    }

    /// <summary>How far ahead of the asking an acquisition plans its start: the store's recent round trip (and a half,
    /// for its jitter), at most <see cref="MaxConfirmLead"/>; zero while nothing has been measured (and on a manual
    /// clock, which measures nothing).</summary>
    private TimeSpan PlanningLead()
    {
        var lead = RoundTrip() * 1.5;
        return lead > MaxConfirmLead ? MaxConfirmLead : lead;
    }

    private TimeSpan RoundTrip()
        => TimeSpan.FromTicks((long)(Interlocked.Read(ref _roundTripTicks) * ((double)TimeSpan.TicksPerSecond / _time.TimestampFrequency)));

    /// <summary>Keeps an exponentially smoothed round trip (weight 1/4 for the newest), enough to follow a machine that
    /// gets busy without jumping on one slow answer.</summary>
    private void ObserveRoundTrip(TimeSpan elapsed)
    {
        var sample = (long)(elapsed.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            var current = Interlocked.Read(ref _roundTripTicks);
            var next = current == 0 ? sample : current + ((sample - current) / 4);
            if (Interlocked.CompareExchange(ref _roundTripTicks, next, current) == current)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 4114, Level = LogLevel.Debug,
        Message = "A start at {Start:O} on upstream key {Provider}/{KeyId} no longer stands (the upstream asked it to wait since); the call asks again.")]
    private static partial void LogStartWithdrawn(ILogger logger, string provider, string keyId, DateTimeOffset start);

    [LoggerMessage(EventId = 4115, Level = LogLevel.Debug,
        Message = "A call on upstream key {Provider}/{KeyId} would leave {Late} after its start, more than the pacing margin absorbs; it asks again.")]
    private static partial void LogStartMissed(ILogger logger, string provider, string keyId, TimeSpan late);
}
