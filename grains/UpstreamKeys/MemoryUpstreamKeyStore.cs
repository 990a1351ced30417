using System.Collections.Concurrent;
using System.Collections.Immutable;
using Parley.GrainInterfaces.UpstreamKeys;

namespace Parley.Grains.UpstreamKeys;

/// <summary>The embedded (single silo) store: the same rules as <see cref="RedisUpstreamKeyStore"/>'s scripts, under
/// one lock per pool (the keys of one provider), as the scripts are atomic over the pool's hash slot.</summary>
public sealed class MemoryUpstreamKeyStore : IUpstreamKeyStore
{
    private readonly ConcurrentDictionary<string, PoolRecord> _pools = new(StringComparer.Ordinal);
    private ImmutableArray<Action<string>> _watchers = [];

    public ValueTask<PoolPacingResult> AcquireAnyAsync(string provider, PoolPacingRequest request, CancellationToken cancellationToken = default)
    {
        var keys = request.Keys.Span;
        if (keys.Length > PoolPacingRequest.MaxKeys)
        {
            throw new ArgumentException($"A pool takes at most {PoolPacingRequest.MaxKeys} keys.", nameof(request));
        }
        var pool = Pool(provider);
        var now = request.Now;
        lock (pool)
        {
            var choice = new PoolChoice(now, request.AcceptUntil);
            Span<DateTimeOffset> starts = stackalloc DateTimeOffset[keys.Length];
            Span<bool> trials = stackalloc bool[keys.Length];
            for (var i = 0; i < keys.Length; i++)
            {
                var key = keys[i];
                var (_, keyId) = UpstreamKeyName.Split(key.Key);
                var record = pool.Record(keyId);
                var single = Inspect(record, now, key.MaxConcurrent);
                starts[i] = single.At;
                trials[i] = single.Status == PacingStatus.GrantedTrial;
                choice.Offer(i, single.Status, single.At);
            }
            if (choice.Tied == 0)
            {
                return new(choice.Refusal());
            }
            var chosen = choice.Tied == 1 ? choice.First : pool.Rotate(keys, choice.Candidates);
            var granted = keys[chosen];
            Reserve(pool.Record(UpstreamKeyName.Split(granted.Key).KeyId), granted.RequestSpacing, granted.TokenSpacing, granted.MaxConcurrent,
                starts[chosen], trials[chosen], request.LeaseId, now + request.LeaseTtl, now + request.TrialTtl);
            return new(new PoolPacingResult(trials[chosen] ? PacingStatus.GrantedTrial : PacingStatus.Granted, chosen, starts[chosen], choice.DisabledMask));
        }
    }

    public ValueTask<PacingResult> TryAcquireAsync(string key, PacingRequest request, CancellationToken cancellationToken = default)
    {
        var (pool, record) = Find(key);
        lock (pool)
        {
            var single = Inspect(record, request.Now, request.MaxConcurrent);
            if (single.Status == PacingStatus.Busy)
            {
                return new(new PacingResult(PacingStatus.Busy, request.Now));
            }
            if (!single.IsGranted)
            {
                return new(single);
            }
            if (single.At > request.AcceptUntil)
            {
                return new(new PacingResult(PacingStatus.Later, single.At));
            }
            var trial = single.Status == PacingStatus.GrantedTrial;
            Reserve(record, request.RequestSpacing, request.TokenSpacing, request.MaxConcurrent, single.At, trial, request.LeaseId,
                request.Now + request.LeaseTtl, request.Now + request.TrialTtl);
            return new(single);
        }
    }

    public ValueTask ReleaseAsync(string key, string leaseId)
    {
        var (pool, record) = Find(key);
        lock (pool)
        {
            record.Leases.RemoveAll(l => l.Id == leaseId);
        }
        return ValueTask.CompletedTask;
    }

    public Task<UpstreamKeyHealth> GetHealthAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var (pool, record) = Find(key);
        lock (pool)
        {
            return Task.FromResult(UpstreamKeyHealthRules.Describe(now, record.DisabledReason, record.BlockedUntil, record.BlockReason,
                record.CoolingUntil, record.TrialUntil, record.CoolReason));
        }
    }

    public Task<UpstreamKeySchedule> GetScheduleAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var (pool, record) = Find(key);
        lock (pool)
        {
            return Task.FromResult(new UpstreamKeySchedule(Known(record.NextRequestAt), Known(record.NextTokenAt), Known(record.HeldUntil),
                record.Allowance, record.Leases.Count(l => l.ExpiresAt > now)));
        }

        static DateTimeOffset? Known(DateTimeOffset time) => time == DateTimeOffset.MinValue ? null : time;
    }

    public Task DelayAsync(string key, DateTimeOffset notBefore, CancellationToken cancellationToken = default)
        => Update(key, r =>
        {
            var moved = notBefore > r.NextRequestAt || notBefore > r.HeldUntil;
            r.NextRequestAt = Max(r.NextRequestAt, notBefore);
            r.HeldUntil = Max(r.HeldUntil, notBefore);
            return moved;
        });

    public Task LimitStartsAsync(string key, StartAllowance allowance, CancellationToken cancellationToken = default)
        => Update(key, r =>
        {
            if (r.Allowance is not { } current || allowance.After >= current.After)
            {
                r.Allowance = allowance;
            }
            return false;
        });

    public ValueTask<bool> ConfirmStartAsync(string key, DateTimeOffset start, TimeSpan spacing, CancellationToken cancellationToken = default)
    {
        var (pool, record) = Find(key);
        lock (pool)
        {
            return new(record.DisabledReason is null && record.HeldUntil <= start && record.BlockedUntil <= start
                && (record.CoolingUntil ?? DateTimeOffset.MinValue) <= start && (record.Allowance?.Admits(start, spacing) ?? true));
        }
    }

    public Task BlockAsync(string key, DateTimeOffset until, string reason, CancellationToken cancellationToken = default)
        => Update(key, r =>
        {
            if (until <= r.BlockedUntil)
            {
                return false;
            }
            r.BlockedUntil = until;
            r.BlockReason = reason;
            return true;
        });

    public Task<bool> RecordErrorAsync(string key, DateTimeOffset now, TimeSpan window, int threshold, DateTimeOffset coolUntil, string reason,
        CancellationToken cancellationToken = default)
    {
        var (pool, record) = Find(key);
        lock (pool)
        {
            if (record.CoolingUntil is not null)
            {
                // Calls that started before the cool-down still fail; they must not extend it.
                return Task.FromResult(false);
            }
            record.Errors.Add(now);
            record.Errors.RemoveAll(t => t <= now - window);
            if (record.Errors.Count < threshold)
            {
                return Task.FromResult(false);
            }
            record.Errors.Clear();
            record.CoolingUntil = coolUntil;
            record.TrialUntil = DateTimeOffset.MinValue;
            record.CoolReason = reason;
        }
        Announce(key);
        return Task.FromResult(true);
    }

    public Task CoolAsync(string key, DateTimeOffset until, string reason, CancellationToken cancellationToken = default)
        => Update(key, r =>
        {
            r.CoolingUntil = until;
            r.TrialUntil = DateTimeOffset.MinValue;
            r.CoolReason = reason;
            return true;
        });

    public Task RestoreAsync(string key, CancellationToken cancellationToken = default)
        => Update(key, static r =>
        {
            r.CoolingUntil = null;
            r.TrialUntil = DateTimeOffset.MinValue;
            r.CoolReason = null;
            r.Errors.Clear();
            return false;
        });

    public Task DisableAsync(string key, string reason, CancellationToken cancellationToken = default)
        => Update(key, r =>
        {
            r.DisabledReason = reason;
            return true;
        });

    public Task EnableAsync(string key, CancellationToken cancellationToken = default)
        => Update(key, static r =>
        {
            r.DisabledReason = null;
            r.BlockedUntil = DateTimeOffset.MinValue;
            r.BlockReason = null;
            r.CoolingUntil = null;
            r.TrialUntil = DateTimeOffset.MinValue;
            r.CoolReason = null;
            r.Errors.Clear();
            return false;
        });

    /// <summary>In this process the notices are calls, made after the change (outside the pool's lock).</summary>
    public Task<IAsyncDisposable> WatchLessonsAsync(Action<string> onLesson, CancellationToken cancellationToken = default)
    {
        ImmutableInterlocked.Update(ref _watchers, static (watchers, added) => watchers.Add(added), onLesson);
        return Task.FromResult<IAsyncDisposable>(new Watch(this, onLesson));
    }

    /// <summary>What the key allows now, without reserving: Granted/GrantedTrial carry the first free start.</summary>
    private static PacingResult Inspect(KeyRecord record, DateTimeOffset now, int maxConcurrent)
    {
        if (record.DisabledReason is not null)
        {
            return new PacingResult(PacingStatus.Disabled, DateTimeOffset.MaxValue);
        }
        if (record.BlockedUntil > now)
        {
            // When the key can next start: the block's end, or its schedule when that is later still.
            return new PacingResult(PacingStatus.Blocked, Max(record.BlockedUntil, Max(record.NextRequestAt, record.NextTokenAt)));
        }
        var trial = false;
        if (record.CoolingUntil is { } cooling)
        {
            if (cooling > now)
            {
                return new PacingResult(PacingStatus.Cooling, cooling);
            }
            if (record.TrialUntil > now)
            {
                return new PacingResult(PacingStatus.Cooling, record.TrialUntil);
            }
            trial = true;
        }
        var start = Max(now, Max(record.NextRequestAt, record.NextTokenAt));
        if (maxConcurrent > 0)
        {
            record.Leases.RemoveAll(l => l.ExpiresAt <= now);
            if (record.Leases.Count >= maxConcurrent)
            {
                // The start is kept: a full key whose schedule is past the caller's wait is simply later.
                return new PacingResult(PacingStatus.Busy, start);
            }
        }
        return new PacingResult(trial ? PacingStatus.GrantedTrial : PacingStatus.Granted, start);
    }

    private static void Reserve(KeyRecord record, TimeSpan requestSpacing, TimeSpan tokenSpacing, int maxConcurrent, DateTimeOffset start, bool trial,
        string leaseId, DateTimeOffset leaseExpiry, DateTimeOffset trialUntil)
    {
        if (requestSpacing > TimeSpan.Zero)
        {
            record.NextRequestAt = start + requestSpacing;
        }
        if (tokenSpacing > TimeSpan.Zero)
        {
            record.NextTokenAt = start + tokenSpacing;
        }
        if (maxConcurrent > 0)
        {
            record.Leases.Add((leaseId, leaseExpiry));
        }
        if (trial)
        {
            record.TrialUntil = trialUntil;
        }
    }

    private PoolRecord Pool(string provider) => _pools.GetOrAdd(provider, static _ => new PoolRecord());

    private (PoolRecord Pool, KeyRecord Record) Find(string key)
    {
        var (provider, keyId) = UpstreamKeyName.Split(key);
        var pool = Pool(provider);
        lock (pool)
        {
            return (pool, pool.Record(keyId));
        }
    }

    /// <summary>Applies <paramref name="change"/> under the pool's lock; when it says the key now waits (a lesson, see
    /// <see cref="WatchLessonsAsync"/>), the watchers are told after.</summary>
    private Task Update(string key, Func<KeyRecord, bool> change)
    {
        var (pool, record) = Find(key);
        bool lesson;
        lock (pool)
        {
            lesson = change(record);
        }
        if (lesson)
        {
            Announce(key);
        }
        return Task.CompletedTask;
    }

    private void Announce(string key)
    {
        foreach (var watcher in _watchers)
        {
            watcher(key);
        }
    }

    private sealed class Watch(MemoryUpstreamKeyStore store, Action<string> onLesson) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            ImmutableInterlocked.Update(ref store._watchers, static (watchers, removed) => watchers.Remove(removed), onLesson);
            return ValueTask.CompletedTask;
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>One provider's keys and its round robin; the object is the pool's lock.</summary>
    private sealed class PoolRecord
    {
        private readonly Dictionary<string, KeyRecord> _keys = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _currentWeights = new(StringComparer.Ordinal);

        public KeyRecord Record(string keyId)
        {
            if (!_keys.TryGetValue(keyId, out var record))
            {
                record = new KeyRecord();
                _keys.Add(keyId, record);
            }
            return record;
        }

        /// <summary>Smooth weighted round robin among the keys that can start equally soon (bits of <paramref name="candidates"/>).</summary>
        public int Rotate(ReadOnlySpan<PoolKeyPacing> keys, ulong candidates)
        {
            var chosen = -1;
            var chosenWeight = long.MinValue;
            var total = 0L;
            for (var i = 0; i < keys.Length; i++)
            {
                if ((candidates & (1UL << i)) == 0)
                {
                    continue;
                }
                var keyId = UpstreamKeyName.Split(keys[i].Key).KeyId;
                var current = _currentWeights.GetValueOrDefault(keyId) + keys[i].Weight;
                _currentWeights[keyId] = current;
                total += keys[i].Weight;
                if (current > chosenWeight)
                {
                    chosen = i;
                    chosenWeight = current;
                }
            }
            var chosenId = UpstreamKeyName.Split(keys[chosen].Key).KeyId;
            _currentWeights[chosenId] -= total;
            return chosen;
        }
    }

    private sealed class KeyRecord
    {
        public DateTimeOffset NextRequestAt = DateTimeOffset.MinValue;
        public DateTimeOffset NextTokenAt = DateTimeOffset.MinValue;
        public DateTimeOffset BlockedUntil = DateTimeOffset.MinValue;
        /// <summary>No start before this (learnt from the upstream's headers); starts granted before it are void.</summary>
        public DateTimeOffset HeldUntil = DateTimeOffset.MinValue;
        /// <summary>The newest answer's window (learnt from the upstream's headers).</summary>
        public StartAllowance? Allowance;
        public string? BlockReason;
        public DateTimeOffset? CoolingUntil;
        public DateTimeOffset TrialUntil = DateTimeOffset.MinValue;
        public string? CoolReason;
        public string? DisabledReason;
        public readonly List<DateTimeOffset> Errors = [];
        public readonly List<(string Id, DateTimeOffset ExpiresAt)> Leases = [];
    }
}
