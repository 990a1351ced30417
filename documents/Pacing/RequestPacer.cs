namespace Parley.Documents.Pacing;

/// <summary>Spaces request starts evenly at a rate of at most <c>qps</c> per second: each caller reserves the next free
/// start (never earlier than now) and waits for it. Starts are spaced, not bursted, so a server's per-minute window
/// sees a steady flow; an idle pacer does not bank unused starts. Thread-safe; time comes from the TimeProvider.</summary>
public sealed class RequestPacer
{
    private readonly TimeProvider _time;
    private readonly long _intervalTicks;
    private readonly Lock _lock = new();
    private long _nextStart;

    /// <param name="qps">Requests per second; null or 0 for no pacing.</param>
    public RequestPacer(double? qps, TimeProvider? timeProvider = null)
    {
        if (qps is < 0 or double.NaN or double.PositiveInfinity)
        {
            throw new ArgumentOutOfRangeException(nameof(qps), qps, "The rate must be a positive number of requests per second.");
        }
        _time = timeProvider ?? TimeProvider.System;
        _intervalTicks = qps is > 0 ? (long)Math.Round(TimeSpan.TicksPerSecond / qps.Value) : 0;
        Qps = qps is > 0 ? qps : null;
    }

    /// <summary>The rate, or null when unpaced.</summary>
    public double? Qps { get; }

    /// <summary>Waits until this caller may start its request.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        if (_intervalTicks == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return;
        }
        long wait;
        lock (_lock)
        {
            var now = _time.GetUtcNow().UtcTicks;
            var start = Math.Max(now, _nextStart);
            _nextStart = start + _intervalTicks;
            wait = start - now;
        }
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromTicks(wait), _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
