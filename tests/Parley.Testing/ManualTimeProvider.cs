namespace Parley.Testing;

/// <summary>A <see cref="TimeProvider"/> whose clock moves only when a test moves it (Microsoft's
/// FakeTimeProvider is not obtainable here). Timers fire synchronously, on the thread that moves the clock, in
/// order of due time (ties in creation order); a timer whose due time is already reached when it is created or
/// changed fires at once on the calling thread. Callbacks run outside the provider's lock, so they may create,
/// change or dispose timers and read the clock.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    /// <summary>An arbitrary fixed start, so test output is reproducible.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now;
    private long _sequence;
    private TaskCompletionSource _timersChanged = NewSignal();

    public ManualTimeProvider() : this(DefaultStart)
    {
    }

    public ManualTimeProvider(DateTimeOffset start) => _now = start;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <summary>The current time; setting it is <see cref="SetUtcNow"/>.</summary>
    public DateTimeOffset UtcNow
    {
        get => GetUtcNow();
        set => SetUtcNow(value);
    }

    /// <summary>Number of timers that are scheduled to fire (created or changed with a finite due time).</summary>
    public int ActiveTimerCount
    {
        get
        {
            lock (_lock)
            {
                return _timers.Count(t => t.DueAt is not null);
            }
        }
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer that falls due on the way,
    /// each with the clock set to its due time.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_lock)
        {
            target = _now + delta;
        }
        RunUntil(target);
    }

    /// <summary>Moves the clock to <paramref name="value"/> (never backwards), firing timers as <see cref="Advance"/> does.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        lock (_lock)
        {
            if (value < _now)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"The clock cannot go backwards (now {_now:O}).");
            }
        }
        RunUntil(value);
    }

    /// <summary>Waits (in real time, bounded by <paramref name="timeout"/>) until at least <paramref name="count"/>
    /// timers are scheduled: lets a test know a background loop has reached its next wait before advancing time.</summary>
    public async Task WaitForActiveTimersAsync(int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (_timers.Count(t => t.DueAt is not null) >= count)
                {
                    return;
                }
                changed = _timersChanged.Task;
            }
            try
            {
                await changed.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Expected at least {count} active timers, found {ActiveTimerCount}.");
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        lock (_lock)
        {
            _timers.Add(timer);
        }
        timer.Change(dueTime, period);
        return timer;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void SignalTimersChangedLocked()
    {
        var previous = _timersChanged;
        _timersChanged = NewSignal();
        previous.TrySetResult();
    }

    private void RunUntil(DateTimeOffset target)
    {
        while (true)
        {
            ManualTimer? next = null;
            lock (_lock)
            {
                foreach (var t in _timers)
                {
                    if (t.DueAt is { } due && due <= target &&
                        (next is null || due < next.DueAt || (due == next.DueAt && t.Sequence < next.Sequence)))
                    {
                        next = t;
                    }
                }
                if (next is null)
                {
                    if (target > _now)
                    {
                        _now = target;
                    }
                    return;
                }
                if (next.DueAt > _now)
                {
                    _now = next.DueAt.Value;
                }
                next.Reschedule();
                SignalTimersChangedLocked();
            }
            next.Fire();
        }
    }

    // Fires timers already due (a zero due time, or a due time reached while the clock is not moving).
    private void FireDue()
    {
        DateTimeOffset now;
        lock (_lock)
        {
            now = _now;
        }
        RunUntil(now);
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        // Guarded by owner._lock.
        public DateTimeOffset? DueAt { get; private set; }
        public long Sequence { get; private set; }
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            ValidateSpan(dueTime, nameof(dueTime));
            ValidateSpan(period, nameof(period));
            lock (owner._lock)
            {
                if (_disposed)
                {
                    return false;
                }
                _period = period;
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : owner._now + dueTime;
                Sequence = ++owner._sequence;
                owner.SignalTimersChangedLocked();
            }
            if (dueTime == TimeSpan.Zero)
            {
                owner.FireDue();
            }
            return true;
        }

        // Called under owner._lock when the timer fires: a periodic timer moves on by its period, a one-shot stops.
        public void Reschedule()
        {
            DueAt = _period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero ? null : DueAt + _period;
            Sequence = ++owner._sequence;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._lock)
            {
                if (_disposed)
                {
                    return;
                }
                _disposed = true;
                DueAt = null;
                owner._timers.Remove(this);
                owner.SignalTimersChangedLocked();
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private static void ValidateSpan(TimeSpan value, string name)
        {
            if (value != Timeout.InfiniteTimeSpan && value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, "Must be non-negative or infinite.");
            }
        }
    }
}
