using Parley.Grains.UpstreamKeys;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Testing;

namespace Parley.Silo.Tests.Providers;

/// <summary>The memory store, whose first acquisitions are answered <c>delay</c> after they were asked (the clock
/// moves while the store "thinks"), as a store on a saturated machine answers; <see cref="DuringAcquisition"/> runs
/// while each acquisition is out, as what a silo learns meanwhile would.</summary>
internal sealed class LateAnsweringStore(MemoryUpstreamKeyStore inner, ManualTimeProvider clock, TimeSpan delay) : IUpstreamKeyStore
{
    public int Acquisitions { get; private set; }

    public Action? DuringAcquisition { get; set; }

    public ValueTask<PoolPacingResult> AcquireAnyAsync(string provider, PoolPacingRequest request, CancellationToken cancellationToken = default)
    {
        var result = inner.AcquireAnyAsync(provider, request, cancellationToken);
        if (Acquisitions++ == 0)
        {
            clock.Advance(delay);
        }
        DuringAcquisition?.Invoke();
        return result;
    }

    public ValueTask<PacingResult> TryAcquireAsync(string key, PacingRequest request, CancellationToken cancellationToken = default)
        => inner.TryAcquireAsync(key, request, cancellationToken);

    public ValueTask ReleaseAsync(string key, string leaseId) => inner.ReleaseAsync(key, leaseId);

    public Task<UpstreamKeyHealth> GetHealthAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
        => inner.GetHealthAsync(key, now, cancellationToken);

    public Task<UpstreamKeySchedule> GetScheduleAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
        => inner.GetScheduleAsync(key, now, cancellationToken);

    public Task DelayAsync(string key, DateTimeOffset notBefore, CancellationToken cancellationToken = default)
        => inner.DelayAsync(key, notBefore, cancellationToken);

    public Task LimitStartsAsync(string key, StartAllowance allowance, CancellationToken cancellationToken = default)
        => inner.LimitStartsAsync(key, allowance, cancellationToken);

    public ValueTask<bool> ConfirmStartAsync(string key, DateTimeOffset start, TimeSpan spacing, CancellationToken cancellationToken = default)
        => inner.ConfirmStartAsync(key, start, spacing, cancellationToken);

    public Task BlockAsync(string key, DateTimeOffset until, string reason, CancellationToken cancellationToken = default)
        => inner.BlockAsync(key, until, reason, cancellationToken);

    public Task<bool> RecordErrorAsync(string key, DateTimeOffset now, TimeSpan window, int threshold, DateTimeOffset coolUntil, string reason,
        CancellationToken cancellationToken = default)
        => inner.RecordErrorAsync(key, now, window, threshold, coolUntil, reason, cancellationToken);

    public Task CoolAsync(string key, DateTimeOffset until, string reason, CancellationToken cancellationToken = default)
        => inner.CoolAsync(key, until, reason, cancellationToken);

    public Task RestoreAsync(string key, CancellationToken cancellationToken = default) => inner.RestoreAsync(key, cancellationToken);

    public Task DisableAsync(string key, string reason, CancellationToken cancellationToken = default) => inner.DisableAsync(key, reason, cancellationToken);

    public Task EnableAsync(string key, CancellationToken cancellationToken = default) => inner.EnableAsync(key, cancellationToken);

    public Task<IAsyncDisposable> WatchLessonsAsync(Action<string> onLesson, CancellationToken cancellationToken = default)
        => inner.WatchLessonsAsync(onLesson, cancellationToken);
}
