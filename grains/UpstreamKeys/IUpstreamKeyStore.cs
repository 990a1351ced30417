using Parley.GrainInterfaces.UpstreamKeys;

namespace Parley.Grains.UpstreamKeys;

/// <summary>Each upstream key's schedule and health, shared by the whole cluster (Redis) or the process (memory). Every
/// operation is atomic for its key's whole pool (the keys of one provider); <c>key</c> arguments are
/// <see cref="UpstreamKeyName"/> grain keys.</summary>
public interface IUpstreamKeyStore
{
    /// <summary>Chooses and reserves, in one atomic step for the whole pool, the usable key whose next start is soonest
    /// (ties: smooth weighted round robin kept with the pool), when that start is at or before
    /// <see cref="PoolPacingRequest.AcceptUntil"/>. Disabled, blocked, cooling (unless its trial call is due) and full keys
    /// are skipped. Otherwise reserves nothing and says when the soonest key can start, and why.</summary>
    ValueTask<PoolPacingResult> AcquireAnyAsync(string provider, PoolPacingRequest request, CancellationToken cancellationToken = default);

    /// <summary>Reserves the key's next start time when the key is usable and it falls at or before
    /// <see cref="PacingRequest.AcceptUntil"/>; otherwise reserves nothing and says why and when to come back.</summary>
    ValueTask<PacingResult> TryAcquireAsync(string key, PacingRequest request, CancellationToken cancellationToken = default);

    /// <summary>Frees a concurrency slot taken by <see cref="TryAcquireAsync"/> (a lost release lapses with its lease).</summary>
    ValueTask ReleaseAsync(string key, string leaseId);

    Task<UpstreamKeyHealth> GetHealthAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>The key's schedule as it stands (next starts, what was learnt, slots in flight at
    /// <paramref name="now"/>), for operators; reserves nothing.</summary>
    Task<UpstreamKeySchedule> GetScheduleAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>No call starts before <paramref name="notBefore"/> (the schedule only ever moves later): later
    /// acquisitions start after it, and starts granted before it no longer stand (<see cref="ConfirmStartAsync"/>).</summary>
    Task DelayAsync(string key, DateTimeOffset notBefore, CancellationToken cancellationToken = default);

    /// <summary>Keeps what an answer said of the upstream's window (the newest answer's, by its call's start), for
    /// <see cref="ConfirmStartAsync"/>.</summary>
    Task LimitStartsAsync(string key, StartAllowance allowance, CancellationToken cancellationToken = default);

    /// <summary>Whether a start granted earlier still stands: false when, since it was granted, the key was disabled,
    /// blocked, cooled down or delayed (<see cref="DelayAsync"/>, learnt from the upstream's answers) past it, or when
    /// the upstream's window (<see cref="LimitStartsAsync"/>) has no room left for it with starts
    /// <paramref name="spacing"/> apart. Starts are granted up to the longest pacing wait ahead, so what the upstream
    /// says meanwhile reaches calls already waiting only through this; a start that no longer stands is given up and
    /// the call asks again.</summary>
    ValueTask<bool> ConfirmStartAsync(string key, DateTimeOffset start, TimeSpan spacing, CancellationToken cancellationToken = default);

    /// <summary>Blocks the key until <paramref name="until"/>, unless it is already blocked longer.</summary>
    Task BlockAsync(string key, DateTimeOffset until, string reason, CancellationToken cancellationToken = default);

    /// <summary>Counts one error; when <paramref name="threshold"/> errors fall within the window ending at
    /// <paramref name="now"/>, cools the key until <paramref name="coolUntil"/> and returns true (once per cool-down).</summary>
    Task<bool> RecordErrorAsync(string key, DateTimeOffset now, TimeSpan window, int threshold, DateTimeOffset coolUntil, string reason,
        CancellationToken cancellationToken = default);

    /// <summary>Cools the key until <paramref name="until"/> at once (a failed trial call).</summary>
    Task CoolAsync(string key, DateTimeOffset until, string reason, CancellationToken cancellationToken = default);

    /// <summary>Ends a cool-down (a trial call succeeded) and forgets counted errors.</summary>
    Task RestoreAsync(string key, CancellationToken cancellationToken = default);

    Task DisableAsync(string key, string reason, CancellationToken cancellationToken = default);

    /// <summary>Clears disabled, blocked, cooling and counted errors; the schedule is kept.</summary>
    Task EnableAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Calls <paramref name="onLesson"/> with a key's grain key each time any silo makes the key wait: a
    /// <see cref="DelayAsync"/> or <see cref="BlockAsync"/> that moved its schedule, a cool-down (<see cref="CoolAsync"/>,
    /// or <see cref="RecordErrorAsync"/> reaching its threshold) or <see cref="DisableAsync"/>. In order, one at a time.
    /// A silo that starts calls on a key without asking (keys without limits) hears of it before its recheck. Best
    /// effort: a notice missed while the store was out of reach is caught up by that recheck. Dispose the result to stop.</summary>
    Task<IAsyncDisposable> WatchLessonsAsync(Action<string> onLesson, CancellationToken cancellationToken = default);
}

/// <param name="Now">The caller's clock (every silo runs NTP; a test drives it).</param>
/// <param name="AcceptUntil">The latest start the caller takes.</param>
/// <param name="RequestSpacing">Minimum time between two starts on the key (zero: no request limit).</param>
/// <param name="TokenSpacing">How long this call's tokens hold the key's token budget (zero: no token limit).</param>
/// <param name="MaxConcurrent">Calls in flight on the key across the cluster (0: unlimited).</param>
/// <param name="LeaseId">Names this call's concurrency slot (unique per call).</param>
/// <param name="LeaseTtl">How long a concurrency slot outlives a caller that never releases it.</param>
/// <param name="TrialTtl">How long a trial call blocks further trials when its outcome never arrives.</param>
public readonly record struct PacingRequest(
    DateTimeOffset Now,
    DateTimeOffset AcceptUntil,
    TimeSpan RequestSpacing,
    TimeSpan TokenSpacing,
    int MaxConcurrent,
    string LeaseId,
    TimeSpan LeaseTtl,
    TimeSpan TrialTtl);

public enum PacingStatus
{
    /// <summary>Reserved: start at <see cref="PacingResult.At"/>.</summary>
    Granted,
    /// <summary>Reserved as the one trial call after a cool-down.</summary>
    GrantedTrial,
    /// <summary>Usable, but the first free start (<see cref="PacingResult.At"/>) is after AcceptUntil.</summary>
    Later,
    /// <summary>Blocked until <see cref="PacingResult.At"/>.</summary>
    Blocked,
    /// <summary>Cooling down (or a trial call is in flight) until <see cref="PacingResult.At"/>.</summary>
    Cooling,
    Disabled,
    /// <summary>Every concurrency slot is taken; when one frees is unknown.</summary>
    Busy,
}

public readonly record struct PacingResult(PacingStatus Status, DateTimeOffset At)
{
    public bool IsGranted => Status is PacingStatus.Granted or PacingStatus.GrantedTrial;
}
