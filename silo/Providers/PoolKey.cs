using System.Net.Http.Headers;
using Parley.GrainInterfaces.UpstreamKeys;

namespace Parley.Silo.Providers;

/// <summary>One key of a pool: its settings, and whether this silo knows it to be disabled (learnt from every
/// acquisition's answer, from a 401/403 seen here, or from an operator), which only matters while the store is out of reach.</summary>
internal sealed class PoolKey
{
    public required string Id { get; init; }
    public required string GrainKey { get; init; }
    public required AuthenticationHeaderValue? Authorization { get; init; }
    public required UpstreamKeyOptions Options { get; init; }
    public required TimeSpan RequestSpacing { get; init; }
    public required IGrainFactory Grains { get; init; }

    /// <summary>The key's grain (a local stateless worker), addressed when first reported to, not when the pool is built.</summary>
    public IApiKeyGrain Grain => field ??= Grains.GetGrain<IApiKeyGrain>(GrainKey);

    public volatile bool KnownDisabled;

    // Until when (a TimeProvider timestamp) calls may start on this key without asking the store; bumped epoch: this
    // silo learnt something of the key since.
    private long _quietUntil;
    private long _quietEpoch;

    /// <summary>No requests or tokens per minute and no concurrency limit: nothing to pace (see
    /// <see cref="KeyPoolOptions.UnlimitedKeyRecheck"/>).</summary>
    public bool IsUnlimited => Options is { RequestsPerMinute: not > 0, TokensPerMinute: not > 0, MaxConcurrent: not > 0 };

    /// <summary>Grows whenever <see cref="EndQuiet"/> runs: a store answer asked for before it must not make the key quiet.</summary>
    public long QuietEpoch => Interlocked.Read(ref _quietEpoch);

    public bool IsQuietAt(long timestamp) => !KnownDisabled && timestamp < Interlocked.Read(ref _quietUntil);

    /// <summary>Lets calls start without the store until <paramref name="timestamp"/>.</summary>
    public void QuietUntil(long timestamp) => Interlocked.Exchange(ref _quietUntil, timestamp);

    /// <summary>Something was learnt of the key (an answer worth reporting, a refusal): the next call asks the store.</summary>
    public void EndQuiet()
    {
        Interlocked.Increment(ref _quietEpoch);
        Interlocked.Exchange(ref _quietUntil, 0);
    }

    /// <summary>Smooth weighted round robin of the calls this silo places itself (unpaced, or on quiet unlimited keys; the
    /// store keeps the paced one); guarded by the pool's lock.</summary>
    public long UnpacedWeight;

    private long _windowTicks = TimeSpan.TicksPerMinute;

    /// <summary>The upstream's rate-limit window for this key: the window in which it allows the
    /// <c>x-ratelimit-limit-requests</c> its answers report, against the configured requests per minute (a limit of 20
    /// for 600 a minute is a 2-second window). A minute until an answer says otherwise.</summary>
    public TimeSpan UpstreamWindow => TimeSpan.FromTicks(Volatile.Read(ref _windowTicks));

    /// <summary>Learns <see cref="UpstreamWindow"/> from an answer's request limit (null: the answer had none).</summary>
    public void LearnWindow(long? requestLimit)
    {
        if (requestLimit is > 0 and < int.MaxValue && Options.RequestsPerMinute is int rpm and > 0)
        {
            var ticks = Math.Clamp(requestLimit.Value * TimeSpan.TicksPerMinute / rpm, Math.Max(RequestSpacing.Ticks, 1), TimeSpan.TicksPerHour);
            Volatile.Write(ref _windowTicks, ticks);
        }
    }
}

/// <summary>A granted slot: start the call on <see cref="Key"/> now (its start was <see cref="Start"/>).
/// <see cref="IsPaced"/> is false when the key was chosen by weight alone: the store was out of reach, or every key offered
/// is unlimited and quiet (<see cref="KeyPoolOptions.UnlimitedKeyRecheck"/>).</summary>
internal readonly record struct KeyLease(PoolKey Key, string? LeaseId, bool IsTrial, bool IsPaced = true, DateTimeOffset Start = default);
