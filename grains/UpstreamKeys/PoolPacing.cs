namespace Parley.Grains.UpstreamKeys;

/// <summary>One key offered to <see cref="IUpstreamKeyStore.AcquireAnyAsync"/>, with what a call on it costs.</summary>
/// <param name="Key">The key's grain key (<c>&lt;provider&gt;/&lt;keyId&gt;</c>); every key of one request names the same provider.</param>
/// <param name="RequestSpacing">Minimum time between two starts on the key (zero: no request limit).</param>
/// <param name="TokenSpacing">How long this call's tokens hold the key's token budget (zero: no token limit).</param>
/// <param name="MaxConcurrent">Calls in flight on the key across the cluster (0: unlimited).</param>
/// <param name="Weight">Share of the calls among keys that can start equally soon (positive).</param>
public readonly record struct PoolKeyPacing(string Key, TimeSpan RequestSpacing, TimeSpan TokenSpacing, int MaxConcurrent, int Weight);

/// <param name="Now">The caller's clock (every silo runs NTP; a test drives it).</param>
/// <param name="AcceptUntil">The latest start the caller takes.</param>
/// <param name="Keys">The keys to choose from (at most <see cref="PoolPacingRequest.MaxKeys"/>), in pool order.</param>
/// <param name="LeaseId">Names this call's concurrency slot on the chosen key (unique per call).</param>
/// <param name="LeaseTtl">How long a concurrency slot outlives a caller that never releases it.</param>
/// <param name="TrialTtl">How long a trial call blocks further trials when its outcome never arrives.</param>
public readonly record struct PoolPacingRequest(
    DateTimeOffset Now,
    DateTimeOffset AcceptUntil,
    ReadOnlyMemory<PoolKeyPacing> Keys,
    string LeaseId,
    TimeSpan LeaseTtl,
    TimeSpan TrialTtl)
{
    /// <summary>Results name keys in a 64-bit mask.</summary>
    public const int MaxKeys = 64;
}

/// <summary>The outcome of one <see cref="IUpstreamKeyStore.AcquireAnyAsync"/>.</summary>
/// <param name="Status">Granted (or GrantedTrial) on <paramref name="Index"/> at <paramref name="At"/>; otherwise why no key
/// was reserved: Later, Blocked or Cooling (the soonest key, <paramref name="Index"/>, is usable again at
/// <paramref name="At"/>), Busy (a key that could start in time has every concurrency slot taken), Disabled (every key).</param>
/// <param name="Index">The position in the request's keys of the granted key, or of the soonest one; -1 when none.</param>
/// <param name="DisabledMask">Bit i set: the request's key i is disabled (so callers learn it without another read).</param>
public readonly record struct PoolPacingResult(PacingStatus Status, int Index, DateTimeOffset At, ulong DisabledMask)
{
    public bool IsGranted => Status is PacingStatus.Granted or PacingStatus.GrantedTrial;
}
