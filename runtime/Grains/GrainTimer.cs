namespace Parley.Runtime.Grains;

/// <summary>A timer owned by one activation. A tick does not run the callback directly: it queues a turn in the
/// activation's mailbox, and the next period starts only when that turn ends, so ticks never overlap each other or
/// a grain call, and a slow callback delays the timer rather than piling up turns.</summary>
internal sealed class GrainTimer : IGrainTimer
{
    private readonly GrainActivation _activation;
    private readonly Func<CancellationToken, Task> _callback;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private TimeSpan _period;
    private bool _tickQueued;
    private bool _disposed;

    public GrainTimer(GrainActivation activation, TimeProvider timeProvider, Func<CancellationToken, Task> callback, GrainTimerCreationOptions options)
    {
        ValidateSpan(options.DueTime, nameof(options.DueTime));
        ValidateSpan(options.Period, nameof(options.Period));
        _activation = activation;
        _callback = callback;
        _period = options.Period;
        KeepAlive = options.KeepAlive;
        // Created stopped and started after the field is set, so a zero due time cannot tick into a half-built timer.
        _timer = timeProvider.CreateTimer(static s => ((GrainTimer)s!).OnTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(options.DueTime, Timeout.InfiniteTimeSpan);
    }

    public bool KeepAlive { get; }

    public void Change(TimeSpan dueTime, TimeSpan period)
    {
        ValidateSpan(dueTime, nameof(dueTime));
        ValidateSpan(period, nameof(period));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _period = period;
        }
        _timer.Change(dueTime, Timeout.InfiniteTimeSpan);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        _timer.Dispose();
        _activation.OnTimerDisposed(this);
    }

    private void OnTick()
    {
        lock (_lock)
        {
            if (_disposed || _tickQueued)
            {
                return;
            }
            _tickQueued = true;
        }
        if (!_activation.TryEnqueue(new TimerTick(this)))
        {
            lock (_lock)
            {
                _tickQueued = false;
            }
        }
    }

    private async Task RunTickAsync()
    {
        try
        {
            await _callback(_activation.TimerCancellation).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _activation.OnTimerFailed(ex);
        }
    }

    // Called by the activation's loop once the tick's turn is fully over, so the next period starts from its end.
    private void OnTickCompleted(bool reschedule)
    {
        TimeSpan next;
        lock (_lock)
        {
            _tickQueued = false;
            // As with System.Threading.Timer, a zero or infinite period means the timer fires once.
            next = !reschedule || _disposed || _period == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : _period;
        }
        if (next != Timeout.InfiniteTimeSpan)
        {
            try
            {
                _timer.Change(next, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // Disposed concurrently (deactivation): nothing more to schedule.
            }
        }
    }

    private static void ValidateSpan(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, "Must be non-negative or infinite.");
        }
    }

    private sealed class TimerTick(GrainTimer timer) : WorkItem
    {
        public override bool KeepsAlive => timer.KeepAlive;

        public override bool Redispatchable => false;

        public override Task ExecuteAsync(Grain grain) => timer.RunTickAsync();

        public override void Complete() => timer.OnTickCompleted(reschedule: true);

        public override void Reject(Exception exception) => timer.OnTickCompleted(reschedule: false);
    }
}
