using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.UpstreamKeys;
using Parley.Grains.Redis;

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

    /// <summary>Smooth weighted round robin of unpaced calls (the store keeps the paced one); guarded by the pool's lock.</summary>
    public long UnpacedWeight;
}

/// <summary>A granted slot: start the call on <see cref="Key"/> now. <see cref="IsPaced"/> is false when the store was
/// out of reach and the key was chosen by weight alone.</summary>
internal readonly record struct KeyLease(PoolKey Key, string? LeaseId, bool IsTrial, bool IsPaced = true);

/// <summary>A provider's keys. Every acquisition is one atomic store call over the whole pool (the store picks the key
/// that can start soonest, weights breaking ties), so every silo draws from one schedule and no key is left idle
/// while another is queued.</summary>
internal sealed partial class UpstreamKeyPool
{
    /// <summary>Pools are addressed with a 64-bit mask of keys to skip.</summary>
    public const int MaxKeys = PoolPacingRequest.MaxKeys;

    // A key whose concurrency slots are all taken is asked again after this long (when a slot frees is unknown).
    private static readonly TimeSpan BusyPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan UnknownRetryAfter = TimeSpan.FromSeconds(1);
    // An outage of the store would otherwise log once per request.
    private static readonly TimeSpan UnpacedWarningInterval = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly IUpstreamKeyStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly KeyPoolOptions _options;
    private readonly TimeSpan _trialTtl;
    private readonly double _tokenTicksFactor;
    private readonly bool _anyConcurrencyLimit;
    private long _lastUnpacedWarningTicks = long.MinValue;

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
    }

    public string Provider { get; }

    public IReadOnlyList<PoolKey> Keys { get; }

    public KeyPoolOptions Options => _options;

    public static TimeSpan SpacingOf(int? requestsPerMinute, double margin)
        => requestsPerMinute is > 0 ? TimeSpan.FromTicks((long)Math.Ceiling(TimeSpan.TicksPerMinute * (1 + margin) / requestsPerMinute.Value)) : TimeSpan.Zero;

    /// <summary>Records what this silo learnt of a key's rotation (a 401/403 here, an operator's enable, a health read).</summary>
    public static void MarkDisabled(PoolKey key, bool disabled) => key.KnownDisabled = disabled;

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
    /// (bit i = key i) are not offered. When the store cannot be reached the call goes unpaced on a key chosen by weight.</summary>
    /// <exception cref="UpstreamCapacityException">No key can start by <paramref name="deadline"/>.</exception>
    public async ValueTask<KeyLease> AcquireAsync(int tokenCost, DateTimeOffset deadline, ulong skip, CancellationToken cancellationToken)
    {
        var (offered, positions) = Offer(tokenCost, skip);
        if (offered.Length == 0)
        {
            throw Capacity(DateTimeOffset.MaxValue, _time.GetUtcNow());
        }
        var leaseId = _anyConcurrencyLimit ? Guid.NewGuid().ToString("N") : "";
        while (true)
        {
            var now = _time.GetUtcNow();
            var request = new PoolPacingRequest(now, deadline, offered, leaseId, _options.ConcurrencyLeaseTtl, _trialTtl);
            PoolPacingResult result;
            try
            {
                result = await AskStoreAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsStoreFailure(e, cancellationToken))
            {
                WarnUnpaced(e);
                return Unpaced(skip) ?? throw Capacity(DateTimeOffset.MaxValue, now);
            }
            for (var i = 0; i < positions.Length; i++)
            {
                Keys[positions[i]].KnownDisabled = (result.DisabledMask & (1UL << i)) != 0;
            }
            if (result.IsGranted)
            {
                var key = Keys[positions[result.Index]];
                var lease = new KeyLease(key, key.Options.MaxConcurrent is > 0 ? leaseId : null, result.Status == PacingStatus.GrantedTrial);
                await WaitForStartAsync(lease, result.At, cancellationToken).ConfigureAwait(false);
                return lease;
            }
            if (result.Status is PacingStatus.Blocked or PacingStatus.Cooling && result.At <= deadline)
            {
                // Every key rests (a 429's Retry-After, a cool-down) but one is back within the wait: ask again then.
                await Task.Delay(result.At - now, _time, cancellationToken).ConfigureAwait(false);
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

    private (PoolKeyPacing[] Offered, int[] Positions) Offer(int tokenCost, ulong skip)
    {
        var count = 0;
        for (var i = 0; i < Keys.Count; i++)
        {
            count += (skip & (1UL << i)) == 0 ? 1 : 0;
        }
        var offered = new PoolKeyPacing[count];
        var positions = new int[count];
        var at = 0;
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
        }
        return (offered, positions);
    }

    private async ValueTask<PoolPacingResult> AskStoreAsync(PoolPacingRequest request, CancellationToken cancellationToken)
    {
        var pending = _store.AcquireAnyAsync(Provider, request, cancellationToken);
        if (pending.IsCompleted)
        {
            return pending.Result;
        }
        // A store that hangs (a half-open connection) must not hold the call longer than an outage would.
        return await pending.AsTask().WaitAsync(_options.StoreTimeout, _time, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsStoreFailure(Exception e, CancellationToken cancellationToken)
        => RedisFailures.IsUnavailable(e) || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>Pacing exists to spare the upstream 429s; without its store the call still goes, on a key chosen by weight
    /// among those not known to be disabled.</summary>
    private KeyLease? Unpaced(ulong skip)
    {
        lock (_lock)
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
    }

    private void WarnUnpaced(Exception e)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastUnpacedWarningTicks);
        if ((last == long.MinValue || now - last >= UnpacedWarningInterval.Ticks)
            && Interlocked.CompareExchange(ref _lastUnpacedWarningTicks, now, last) == last)
        {
            LogUnpaced(_logger, Provider, e.GetType().Name, e);
        }
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

    private async ValueTask WaitForStartAsync(KeyLease lease, DateTimeOffset start, CancellationToken cancellationToken)
    {
        var wait = start - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            return;
        }
        try
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Release(lease.Key, lease.LeaseId);
            throw;
        }
    }

    private UpstreamCapacityException Capacity(DateTimeOffset soonest, DateTimeOffset now)
        => new(Provider, soonest == DateTimeOffset.MaxValue || soonest <= now ? UnknownRetryAfter : soonest - now);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning,
        Message = "The pacing store of upstream provider {Provider} cannot be reached ({Failure}); calls go unpaced on keys chosen by weight until it is back (logged at most every 30 s).")]
    private static partial void LogUnpaced(ILogger logger, string provider, string failure, Exception exception);
}
