using System.Collections.Concurrent;
using System.Globalization;
using Parley.GrainInterfaces.UpstreamKeys;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Grains.UpstreamKeys;

/// <summary>The cluster's store. All keys of one provider's pool share one hash slot (<c>{prefix:uppool:&lt;provider&gt;}</c>):
/// per key a state hash (<c>…:&lt;keyId&gt;:state</c>: schedule, health), its concurrency leases (<c>…:&lt;keyId&gt;:leases</c>) and
/// its recent errors (<c>…:&lt;keyId&gt;:errors</c>), plus the pool's round robin (<c>…:rr</c>), so one script chooses and
/// reserves a key for the whole pool atomically (and stays atomic on Redis Cluster). The schedule spaces starts (a GCRA
/// without burst), so a fixed-window upstream never sees two calls closer than the spacing. Acquisitions are not sent
/// while Redis is not connected (<see cref="RedisFailures.ThrowIfNotConnected"/>): an outage is then a failure that
/// provably reserved nothing, and only such a failure lets a call go unpaced.</summary>
public sealed class RedisUpstreamKeyStore(IRedisConnection connection) : IUpstreamKeyStore
{
    public const string HashTagPrefix = "uppool:";
    public const string StateSuffix = "state";
    public const string LeasesSuffix = "leases";
    public const string ErrorsSuffix = "errors";
    /// <summary>The pool's round-robin hash; no key's suffix can equal it, as those always end in ":state" and the like.</summary>
    public const string RoundRobinSuffix = "rr";

    /// <summary>Where every pool's lessons are published, under the cluster's prefix.</summary>
    public const string LessonChannelSuffix = "lessons";

    private readonly ConcurrentDictionary<string, RedisKey[]> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RedisKey> _roundRobins = new(StringComparer.Ordinal);
    private readonly string _lessonChannel = connection.Key(HashTagPrefix.TrimEnd(':'), LessonChannelSuffix);

    /// <summary>The Redis keys of one upstream key (grain key <c>&lt;provider&gt;/&lt;keyId&gt;</c>): state hash, leases, errors.</summary>
    public RedisKey[] KeysOf(string key) => _keys.GetOrAdd(key, k =>
    {
        var (provider, keyId) = UpstreamKeyName.Split(k);
        return
        [
            connection.Key(HashTagPrefix + provider, keyId + ":" + StateSuffix),
            connection.Key(HashTagPrefix + provider, keyId + ":" + LeasesSuffix),
            connection.Key(HashTagPrefix + provider, keyId + ":" + ErrorsSuffix),
        ];
    });

    /// <summary>The pool's round-robin hash (field per key id).</summary>
    public RedisKey RoundRobinOf(string provider)
        => _roundRobins.GetOrAdd(provider, p => connection.Key(HashTagPrefix + p, RoundRobinSuffix));

    public async ValueTask<PoolPacingResult> AcquireAnyAsync(string provider, PoolPacingRequest request, CancellationToken cancellationToken = default)
    {
        var keys = request.Keys;
        if (keys.Length > PoolPacingRequest.MaxKeys)
        {
            throw new ArgumentException($"A pool takes at most {PoolPacingRequest.MaxKeys} keys.", nameof(request));
        }
        var redisKeys = new RedisKey[1 + (3 * keys.Length)];
        var args = new RedisValue[6 + (5 * keys.Length)];
        var now = request.Now.ToUnixTimeMilliseconds();
        redisKeys[0] = RoundRobinOf(provider);
        args[0] = now;
        args[1] = request.AcceptUntil.ToUnixTimeMilliseconds();
        args[2] = request.LeaseId;
        args[3] = now + CeilingMilliseconds(request.LeaseTtl);
        args[4] = now + CeilingMilliseconds(request.TrialTtl);
        args[5] = CeilingMilliseconds(request.LeaseTtl);
        var span = keys.Span;
        for (var i = 0; i < span.Length; i++)
        {
            var key = span[i];
            var (keyProvider, keyId) = UpstreamKeyName.Split(key.Key);
            if (!string.Equals(keyProvider, provider, StringComparison.Ordinal))
            {
                // Another provider's key lives in another hash slot: the script could not be atomic over it.
                throw new ArgumentException($"Key '{key.Key}' is not in provider '{provider}'s pool.", nameof(request));
            }
            var own = KeysOf(key.Key);
            redisKeys[1 + (3 * i)] = own[0];
            redisKeys[2 + (3 * i)] = own[1];
            redisKeys[3 + (3 * i)] = own[2];
            var a = 6 + (5 * i);
            args[a] = keyId;
            args[a + 1] = CeilingMilliseconds(key.RequestSpacing);
            args[a + 2] = CeilingMilliseconds(key.TokenSpacing);
            args[a + 3] = key.MaxConcurrent;
            args[a + 4] = key.Weight;
        }
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        // An outage is then a failure that provably never ran: the caller may go unpaced without a start reserved behind it.
        RedisFailures.ThrowIfNotConnected(db, redisKeys[0]);
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(RedisUpstreamKeyScripts.AcquireAny, redisKeys, args).ConfigureAwait(false))!;
        var disabled = 0UL;
        foreach (var index in (RedisResult[])result[3]!)
        {
            disabled |= 1UL << (int)index;
        }
        var status = StatusOf((long)result[0]);
        var at = status == PacingStatus.Disabled ? DateTimeOffset.MaxValue : Time((long)result[2]);
        return new PoolPacingResult(status, (int)result[1], at, disabled);
    }

    public async ValueTask<PacingResult> TryAcquireAsync(string key, PacingRequest request, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        RedisFailures.ThrowIfNotConnected(db, KeysOf(key)[0]);
        var now = request.Now.ToUnixTimeMilliseconds();
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(RedisUpstreamKeyScripts.Acquire, KeysOf(key),
        [
            now,
            request.AcceptUntil.ToUnixTimeMilliseconds(),
            CeilingMilliseconds(request.RequestSpacing),
            CeilingMilliseconds(request.TokenSpacing),
            request.MaxConcurrent,
            request.LeaseId,
            now + CeilingMilliseconds(request.LeaseTtl),
            now + CeilingMilliseconds(request.TrialTtl),
            CeilingMilliseconds(request.LeaseTtl),
        ]).ConfigureAwait(false))!;
        var status = StatusOf((long)result[0]);
        return new PacingResult(status, status == PacingStatus.Disabled ? DateTimeOffset.MaxValue : Time((long)result[1]));
    }

    private static PacingStatus StatusOf(long code) => code switch
    {
        0 => PacingStatus.Granted,
        6 => PacingStatus.GrantedTrial,
        1 => PacingStatus.Later,
        2 => PacingStatus.Blocked,
        3 => PacingStatus.Cooling,
        4 => PacingStatus.Disabled,
        _ => PacingStatus.Busy,
    };

    public async ValueTask ReleaseAsync(string key, string leaseId)
    {
        var db = await DatabaseAsync(CancellationToken.None).ConfigureAwait(false);
        // Nobody waits for a release: a lost one lapses with the lease's expiry.
        await db.SortedSetRemoveAsync(KeysOf(key)[1], leaseId, CommandFlags.FireAndForget).ConfigureAwait(false);
    }

    public async Task<UpstreamKeyHealth> GetHealthAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var fields = await db.HashGetAsync(KeysOf(key)[0], ["dr", "bu", "br", "cu", "tu", "cr"]).ConfigureAwait(false);
        return UpstreamKeyHealthRules.Describe(now,
            fields[0].IsNull ? null : (string?)fields[0],
            fields[1].IsNull ? DateTimeOffset.MinValue : Time((long)fields[1]),
            fields[2],
            fields[3].IsNull ? null : Time((long)fields[3]),
            fields[4].IsNull ? DateTimeOffset.MinValue : Time((long)fields[4]),
            fields[5]);
    }

    public async Task<UpstreamKeySchedule> GetScheduleAsync(string key, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var keys = KeysOf(key);
        var fieldsTask = db.HashGetAsync(keys[0], ["rt", "tt", "hu", "wa", "wu", "wr"]);
        var leasesTask = db.SortedSetLengthAsync(keys[1], now.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start);
        var fields = await fieldsTask.ConfigureAwait(false);
        var inFlight = await leasesTask.ConfigureAwait(false);
        var window = fields[3].IsNull || fields[4].IsNull || fields[5].IsNull
            ? (StartAllowance?)null
            : new StartAllowance(Time((long)fields[3]), Time((long)fields[4]), (long)fields[5]);
        return new UpstreamKeySchedule(Optional(fields[0]), Optional(fields[1]), Optional(fields[2]), window, (int)inFlight);

        static DateTimeOffset? Optional(RedisValue value) => value.IsNull ? null : Time((long)value);
    }

    public Task DelayAsync(string key, DateTimeOffset notBefore, CancellationToken cancellationToken = default)
        => RunAsync(RedisUpstreamKeyScripts.Delay, key, Lesson(key, Ms(notBefore)), cancellationToken);

    public Task LimitStartsAsync(string key, StartAllowance allowance, CancellationToken cancellationToken = default)
        => RunAsync(RedisUpstreamKeyScripts.LimitStarts, key,
            [Ms(allowance.After), Ms(allowance.Until), allowance.Remaining.ToString(CultureInfo.InvariantCulture)], cancellationToken);

    public async ValueTask<bool> ConfirmStartAsync(string key, DateTimeOffset start, TimeSpan spacing, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var state = KeysOf(key)[0];
        RedisFailures.ThrowIfNotConnected(db, state);
        var fields = await db.HashGetAsync(state, ["dr", "hu", "bu", "cu", "wa", "wu", "wr"]).ConfigureAwait(false);
        var at = start.ToUnixTimeMilliseconds();
        var window = fields[4].IsNull ? (StartAllowance?)null : new StartAllowance(Time((long)fields[4]), Time((long)fields[5]), (long)fields[6]);
        return fields[0].IsNull && Ms(fields[1]) <= at && Ms(fields[2]) <= at && Ms(fields[3]) <= at && (window?.Admits(start, spacing) ?? true);
    }

    public Task BlockAsync(string key, DateTimeOffset until, string reason, CancellationToken cancellationToken = default)
        => RunAsync(RedisUpstreamKeyScripts.Block, key, Lesson(key, Ms(until), reason), cancellationToken);

    public async Task<bool> RecordErrorAsync(string key, DateTimeOffset now, TimeSpan window, int threshold, DateTimeOffset coolUntil, string reason,
        CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        RedisFailures.ThrowIfNotConnected(db, KeysOf(key)[0]);
        var nowMs = now.ToUnixTimeMilliseconds();
        var result = await db.ScriptEvaluateAsync(RedisUpstreamKeyScripts.RecordError, KeysOf(key), Lesson(key,
            nowMs, nowMs - CeilingMilliseconds(window), threshold, Ms(coolUntil), reason,
            // Two errors in the same millisecond are two errors.
            Guid.NewGuid().ToString("N"), CeilingMilliseconds(window) + 1)).ConfigureAwait(false);
        return (long)result == 1;
    }

    public Task CoolAsync(string key, DateTimeOffset until, string reason, CancellationToken cancellationToken = default)
        => RunAsync(RedisUpstreamKeyScripts.Cool, key, Lesson(key, Ms(until), reason), cancellationToken);

    public Task RestoreAsync(string key, CancellationToken cancellationToken = default)
        => RunAsync(RedisUpstreamKeyScripts.Restore, key, [], cancellationToken);

    public Task DisableAsync(string key, string reason, CancellationToken cancellationToken = default)
        => RunAsync(RedisUpstreamKeyScripts.Disable, key, Lesson(key, reason), cancellationToken);

    public Task EnableAsync(string key, CancellationToken cancellationToken = default)
        => RunAsync(RedisUpstreamKeyScripts.Enable, key, [], cancellationToken);

    /// <summary>A subscription to the lesson channel, which the scripts that make a key wait publish to (the key's grain
    /// key), so a silo hears of a lesson in the time one message takes. The multiplexer renews the subscription after a
    /// reconnection; messages published meanwhile are lost (the interface's best effort). Throws when Redis cannot be
    /// reached to subscribe.</summary>
    public async Task<IAsyncDisposable> WatchLessonsAsync(Action<string> onLesson, CancellationToken cancellationToken = default)
    {
        var multiplexer = await connection.GetMultiplexerAsync(cancellationToken).ConfigureAwait(false);
        var queue = await multiplexer.GetSubscriber().SubscribeAsync(RedisChannel.Literal(_lessonChannel)).ConfigureAwait(false);
        // One at a time, in the order published.
        queue.OnMessage(message => onLesson((string)message.Message!));
        return new LessonWatch(queue);
    }

    private sealed class LessonWatch(ChannelMessageQueue queue) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await queue.UnsubscribeAsync().ConfigureAwait(false);
    }

    /// <summary>A lesson script's arguments: its own, then the lesson channel and the key it announces there.</summary>
    private RedisValue[] Lesson(string key, params ReadOnlySpan<RedisValue> args) => [.. args, _lessonChannel, key];

    private async Task RunAsync(string script, string key, RedisValue[] args, CancellationToken cancellationToken)
    {
        var db = await DatabaseAsync(cancellationToken).ConfigureAwait(false);
        var keys = KeysOf(key);
        // A lesson that cannot be written now fails at once rather than wait in the backlog (learning is best effort).
        RedisFailures.ThrowIfNotConnected(db, keys[0]);
        await db.ScriptEvaluateAsync(script, keys, args).ConfigureAwait(false);
    }

    private async ValueTask<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
        => (await connection.GetMultiplexerAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    private static DateTimeOffset Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);

    private static long Ms(RedisValue value) => value.IsNull ? 0 : (long)value;

    private static string Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    // Rounded up: a spacing one millisecond too long wastes little; one too short could let an extra call through.
    private static long CeilingMilliseconds(TimeSpan span) => span <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(span.TotalMilliseconds);
}
