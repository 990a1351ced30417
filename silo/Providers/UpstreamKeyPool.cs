using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.UpstreamKeys;
using Parley.Grains.Redis;

namespace Parley.Silo.Providers;

/// <summary>A provider's keys. An acquisition is one atomic store call over the whole pool (the store picks the key
/// that can start soonest, weights breaking ties), so every silo draws from one schedule and no key is left idle
/// while another is queued. A pool of keys without limits has no schedule to draw from: once the store found its keys
/// usable, calls start on them by weight without asking, until <see cref="KeyPoolOptions.UnlimitedKeyRecheck"/> is up
/// or this silo learns something of one of them.</summary>
internal sealed partial class UpstreamKeyPool
{
    /// <summary>Pools are addressed with a 64-bit mask of keys to skip.</summary>
    public const int MaxKeys = PoolPacingRequest.MaxKeys;

    // A key whose concurrency slots are all taken is asked again after this long (when a slot frees is unknown).
    private static readonly TimeSpan BusyPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan UnknownRetryAfter = TimeSpan.FromSeconds(1);
    // The store keeps whole milliseconds: a start this close to the one asked for is "now".
    private static readonly TimeSpan QuietSlack = TimeSpan.FromMilliseconds(1);
    // The shortest wait for an acquisition's answer, even at the deadline.
    private static readonly TimeSpan MinStoreWait = TimeSpan.FromMilliseconds(10);
    // An outage or a slow store would otherwise log once per request.
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly IUpstreamKeyStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KeyPoolOptions _options;
    private readonly TimeSpan _trialTtl;
    private readonly double _tokenTicksFactor;
    private readonly bool _anyConcurrencyLimit;
    // KeyPoolOptions.UnlimitedKeyRecheck in TimeProvider timestamp ticks; 0: always ask the store (also when no key of
    // the pool is unlimited, so that such a pool does no quiet bookkeeping at all).
    private readonly long _quietTicks;
    private long _lastUnpacedWarningTicks = long.MinValue;
    private long _lastUnansweredWarningTicks = long.MinValue;

    public UpstreamKeyPool(string provider, ProviderOptions options, IUpstreamKeyStore store, IGrainFactory grains, TimeProvider time, ILogger logger)
    {
        Provider = provider;
        _store = store;
        _time = time;
        _logger = logger;
        _options = options.Pool;
        _trialTtl = options.Resilience.FirstByteTimeout;
        _tokenTicksFactor = TimeSpan.TicksPerMinute * (1 + _options.PacingMargin);
        var keys = options.Keys.Count > 0 ? options.Keys : [new UpstreamKeyOptions { Id = UpstreamKeyOptions.DefaultId, ApiKey = options.ApiKey }];
        Keys = [.. keys.Select(k => new PoolKey
        {
            Id = k.Id,
            GrainKey = UpstreamKeyName.For(provider, k.Id),
            Authorization = string.IsNullOrEmpty(k.ApiKey) ? null : new AuthenticationHeaderValue("Bearer", k.ApiKey),
            Options = k,
            RequestSpacing = SpacingOf(k.RequestsPerMinute, _options.PacingMargin),
            Grains = grains,
        })];
        _anyConcurrencyLimit = Keys.Any(static k => k.Options.MaxConcurrent is > 0);
        _quietTicks = Keys.Any(static k => k.IsUnlimited) ? (long)(_options.UnlimitedKeyRecheck.TotalSeconds * time.TimestampFrequency) : 0;
    }

    public string Provider { get; }

    public IReadOnlyList<PoolKey> Keys { get; }

    public KeyPoolOptions Options => _options;

    /// <summary>Calls may start on this pool's unlimited keys without asking the store (a recheck above zero and at least
    /// one such key); a lesson any silo writes of one ends that (<see cref="UpstreamKeyLessonWatch"/>).</summary>
    public bool TrustsQuietKeys => _quietTicks > 0;

    public static TimeSpan SpacingOf(int? requestsPerMinute, double margin)
        => requestsPerMinute is > 0 ? TimeSpan.FromTicks((long)Math.Ceiling(TimeSpan.TicksPerMinute * (1 + margin) / requestsPerMinute.Value)) : TimeSpan.Zero;

    /// <summary>Records what this silo learnt of a key's rotation (a 401/403 here, an operator's enable, a health read).</summary>
    public static void MarkDisabled(PoolKey key, bool disabled)
    {
        key.KnownDisabled = disabled;
        if (disabled)
        {
            key.EndQuiet();
        }
    }

    public int IndexOf(PoolKey key)
    {
        for (var i = 0; i < Keys.Count; i++)
        {
            if (ReferenceEquals(Keys[i], key))
            {
                return i;
            }
        }
        throw new ArgumentException($"Key '{key.Id}' is not in provider '{Provider}'s pool.", nameof(key));
    }

    /// <summary>Reserves a start on the key that can start soonest and waits for it. Keys in <paramref name="skip"/>
    /// (bit i = key i) are not offered. Each call goes on exactly one pacing decision:
    /// <list type="bullet">
    /// <item>the store cannot be reached (not connected: the acquisition provably reserved nothing): the call goes
    /// unpaced, on a key chosen by weight;</item>
    /// <item>the store did not answer in time, or the connection failed after the acquisition was sent: a start may have
    /// been reserved, so the call does not go unpaced beside it; it asks again (a reserved start left unused is only a
    /// gap the upstream never sees);</item>
    /// <item>a granted start that no longer stands when the call is due (the upstream said meanwhile that the key must
    /// wait, see <see cref="IUpstreamKeyStore.ConfirmStartAsync"/>), or that the call would miss by more than the
    /// margin can absorb, is given up the same way.</item>
    /// </list></summary>
    /// <exception cref="UpstreamCapacityException">No key can start by <paramref name="deadline"/>.</exception>
    public async ValueTask<KeyLease> AcquireAsync(int tokenCost, DateTimeOffset deadline, ulong skip, CancellationToken cancellationToken)
    {
        if (_quietTicks > 0 && Quiet(skip) is { } quiet)
        {
            return quiet;
        }
        var (offered, positions, spaced) = Offer(tokenCost, skip);
        if (offered.Length == 0)
        {
            throw Capacity(DateTimeOffset.MaxValue, _time.GetUtcNow());
        }
        while (true)
        {
            var quietEpochs = _quietTicks > 0 ? QuietEpochs(positions) : 0;
            // A new lease id per attempt: a slot an earlier attempt may hold is never taken for this one.
            var leaseId = _anyConcurrencyLimit ? Guid.NewGuid().ToString("N") : "";
            var now = _time.GetUtcNow();
            // Planned from when the answer will be back, not from when it is asked: a start granted "now" and answered
            // one round trip later would be missed by that round trip (and, on a busy machine, by more than the margin).
            // Keys with no spacing have no start to miss: their calls go as soon as the answer is back.
            var request = new PoolPacingRequest(spaced ? now + PlanningLead() : now, deadline, offered, leaseId, _options.ConcurrencyLeaseTtl, _trialTtl);
            PoolPacingResult result;
            try
            {
                result = await AskStoreAsync(request, deadline - now, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (RedisFailures.NeverApplied(e) && !cancellationToken.IsCancellationRequested)
            {
                WarnUnpaced(e);
                return Unpaced(skip) ?? throw Capacity(DateTimeOffset.MaxValue, now);
            }
            catch (Exception e) when (RedisFailures.OutcomeUnknown(e) && !cancellationToken.IsCancellationRequested)
            {
                WarnUnanswered(e);
                ReleaseOnEveryKey(positions, leaseId);
                if (_time.GetUtcNow() >= deadline)
                {
                    throw Capacity(DateTimeOffset.MaxValue, now);
                }
                continue;
            }
            for (var i = 0; i < positions.Length; i++)
            {
                Keys[positions[i]].KnownDisabled = (result.DisabledMask & (1UL << i)) != 0;
            }
            if (result.IsGranted)
            {
                var key = Keys[positions[result.Index]];
                // Nothing holds an unlimited key back (no block, cool-down, trial or delay): the next calls need not ask.
                if (_quietTicks > 0 && result.Status == PacingStatus.Granted && key.IsUnlimited && result.At - request.Now < QuietSlack)
                {
                    QuietFor(key, positions, quietEpochs);
                }
                var lease = new KeyLease(key, key.Options.MaxConcurrent is > 0 ? leaseId : null, result.Status == PacingStatus.GrantedTrial, Start: result.At);
                if (await WaitForStartAsync(lease, cancellationToken).ConfigureAwait(false))
                {
                    return lease;
                }
                Release(lease.Key, lease.LeaseId);
                if (_time.GetUtcNow() >= deadline)
                {
                    throw Capacity(DateTimeOffset.MaxValue, now);
                }
                continue;
            }
            if (result.Status is PacingStatus.Blocked or PacingStatus.Cooling && result.At <= deadline)
            {
                // Every key rests (a 429's Retry-After, a cool-down) but one is back within the wait: ask again then.
                await DelayUntilAsync(result.At, cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (result.Status != PacingStatus.Busy)
            {
                throw Capacity(result.At, now);
            }
            if (now + BusyPoll > deadline)
            {
                throw Capacity(now + BusyPoll, now);
            }
            await Task.Delay(BusyPoll, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives a concurrency slot back (the call ended, or it never started).</summary>
    public void Release(PoolKey key, string? leaseId)
    {
        if (leaseId is not null)
        {
            _ = ReleaseAsync(key, leaseId);
        }
    }

    /// <summary>The keys not skipped, with their spacing for this call; <c>Spaced</c> when any of them spaces its starts
    /// (a request or token limit per minute).</summary>
    private (PoolKeyPacing[] Offered, int[] Positions, bool Spaced) Offer(int tokenCost, ulong skip)
    {
        var count = 0;
        for (var i = 0; i < Keys.Count; i++)
        {
            count += (skip & (1UL << i)) == 0 ? 1 : 0;
        }
        var offered = new PoolKeyPacing[count];
        var positions = new int[count];
        var at = 0;
        var spaced = false;
        for (var i = 0; i < Keys.Count; i++)
        {
            if ((skip & (1UL << i)) != 0)
            {
                continue;
            }
            var key = Keys[i];
            var tokenSpacing = key.Options.TokensPerMinute is int tpm and > 0
                ? TimeSpan.FromTicks((long)Math.Ceiling(tokenCost * _tokenTicksFactor / tpm))
                : TimeSpan.Zero;
            offered[at] = new PoolKeyPacing(key.GrainKey, key.RequestSpacing, tokenSpacing, key.Options.MaxConcurrent ?? 0, key.Options.Weight);
            positions[at++] = i;
            spaced |= key.RequestSpacing > TimeSpan.Zero || tokenSpacing > TimeSpan.Zero;
        }
        return (offered, positions, spaced);
    }

    private async ValueTask<PoolPacingResult> AskStoreAsync(PoolPacingRequest request, TimeSpan untilDeadline, CancellationToken cancellationToken)
    {
        var asked = _time.GetTimestamp();
        var pending = _store.AcquireAnyAsync(Provider, request, cancellationToken);
        if (pending.IsCompleted)
        {
            return pending.Result;
        }
        // Bounded by StoreTimeout and by the call's deadline (a start answered later could not be taken anyway): a store
        // that hangs (a half-open connection) must not hold the call for ever. Within that, waiting for a slow answer is
        // right: the start it grants may still be met, and giving up leaves a start reserved for nobody.
        var wait = untilDeadline < _options.StoreTimeout ? untilDeadline : _options.StoreTimeout;
        var result = await pending.AsTask().WaitAsync(wait > MinStoreWait ? wait : MinStoreWait, _time, cancellationToken).ConfigureAwait(false);
        ObserveRoundTrip(_time.GetElapsedTime(asked));
        return result;
    }

    /// <summary>Frees the concurrency slot an unanswered acquisition may have taken, on whichever key it chose.</summary>
    private void ReleaseOnEveryKey(int[] positions, string leaseId)
    {
        if (leaseId.Length == 0)
        {
            return;
        }
        foreach (var position in positions)
        {
            if (Keys[position].Options.MaxConcurrent is > 0)
            {
                Release(Keys[position], leaseId);
            }
        }
    }

    /// <summary>When every key offered is unlimited and quiet (<see cref="KeyPoolOptions.UnlimitedKeyRecheck"/>), one of
    /// them chosen by weight, without asking the store; otherwise null.</summary>
    private KeyLease? Quiet(ulong skip)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            var any = false;
            for (var i = 0; i < Keys.Count; i++)
            {
                // A key known to be disabled is left out as the store would leave it out.
                if ((skip & (1UL << i)) != 0 || Keys[i].KnownDisabled)
                {
                    continue;
                }
                if (!Keys[i].IsUnlimited || !Keys[i].IsQuietAt(now))
                {
                    return null;
                }
                any = true;
            }
            return any ? ByWeight(skip) : null;
        }
    }

    // Epochs only grow, so their sum is unchanged exactly when none of them changed.
    private long QuietEpochs(int[] positions)
    {
        var sum = 0L;
        foreach (var position in positions)
        {
            sum += Keys[position].QuietEpoch;
        }
        return sum;
    }

    private void QuietFor(PoolKey key, int[] positions, long epochsAsked)
    {
        key.QuietUntil(_time.GetTimestamp() + _quietTicks);
        // After the write: something learnt of an offered key while the store was asked (its answer is not the last
        // word) is seen here and undone; anything learnt after this read zeroes the write itself.
        if (QuietEpochs(positions) != epochsAsked)
        {
            key.EndQuiet();
        }
    }

    /// <summary>Pacing exists to spare the upstream 429s; without its store the call still goes, on a key chosen by weight
    /// among those not known to be disabled.</summary>
    private KeyLease? Unpaced(ulong skip)
    {
        lock (_lock)
        {
            return ByWeight(skip);
        }
    }

    /// <summary>Smooth weighted round robin over the keys not skipped and not known to be disabled; under the lock.</summary>
    private KeyLease? ByWeight(ulong skip)
    {
        PoolKey? chosen = null;
        var total = 0L;
        for (var i = 0; i < Keys.Count; i++)
        {
            var key = Keys[i];
            if ((skip & (1UL << i)) != 0 || key.KnownDisabled)
            {
                continue;
            }
            key.UnpacedWeight += key.Options.Weight;
            total += key.Options.Weight;
            if (chosen is null || key.UnpacedWeight > chosen.UnpacedWeight)
            {
                chosen = key;
            }
        }
        if (chosen is null)
        {
            return null;
        }
        chosen.UnpacedWeight -= total;
        return new KeyLease(chosen, null, IsTrial: false, IsPaced: false);
    }

    private void WarnUnpaced(Exception e)
    {
        if (IsWarningDue(ref _lastUnpacedWarningTicks))
        {
            LogUnpaced(_logger, Provider, e.GetType().Name, e);
        }
    }

    private void WarnUnanswered(Exception e)
    {
        if (IsWarningDue(ref _lastUnansweredWarningTicks))
        {
            LogUnanswered(_logger, Provider, _options.StoreTimeout, e.GetType().Name, e);
        }
    }

    private bool IsWarningDue(ref long lastTicks)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref lastTicks);
        return (last == long.MinValue || now - last >= WarningInterval.Ticks) && Interlocked.CompareExchange(ref lastTicks, now, last) == last;
    }

    private async Task ReleaseAsync(PoolKey key, string leaseId)
    {
        try
        {
            await _store.ReleaseAsync(key.GrainKey, leaseId).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The slot lapses with its lease; nothing waits on the release.
        }
    }

    private UpstreamCapacityException Capacity(DateTimeOffset soonest, DateTimeOffset now)
        => new(Provider, soonest == DateTimeOffset.MaxValue || soonest <= now ? UnknownRetryAfter : soonest - now);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning,
        Message = "The pacing store of upstream provider {Provider} cannot be reached ({Failure}); calls go unpaced on keys chosen by weight until it is back (logged at most every 30 s).")]
    private static partial void LogUnpaced(ILogger logger, string provider, string failure, Exception exception);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Warning,
        Message = "The pacing store of upstream provider {Provider} did not answer an acquisition within {StoreTimeout} although it was reachable ({Failure}); the call asks again rather than go unpaced beside a start that may have been reserved (logged at most every 30 s).")]
    private static partial void LogUnanswered(ILogger logger, string provider, TimeSpan storeTimeout, string failure, Exception exception);
}
