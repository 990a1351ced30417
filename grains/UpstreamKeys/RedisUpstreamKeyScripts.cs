namespace Parley.Grains.UpstreamKeys;

/// <summary>Lua scripts of <see cref="RedisUpstreamKeyStore"/>. Every time is whole unix milliseconds; KEYS are the
/// key's state hash, its concurrency leases (sorted set, score = expiry) and its recent errors (sorted set, score =
/// time), all under the pool's hash tag. Numbers are written with %.0f: Lua's default formatting would round 13-digit
/// values.</summary>
internal static class RedisUpstreamKeyScripts
{
    // The whole pool in one step. KEYS: the pool's round-robin hash, then each key's state, leases and errors.
    // ARGV: now, accept until, lease id, lease expiry, trial until, lease ttl ms, then per key: id, request spacing,
    // token spacing, max concurrent, weight. Each key is judged as Acquire judges it; among the usable keys whose start
    // is at or before accept-until the soonest wins, ties going to a smooth weighted round robin kept in KEYS[1].
    // Returns {status, index (0-based, -1 for none), at, disabled indexes}: statuses as Acquire's.
    public const string AcquireAny = """
        local now = tonumber(ARGV[1])
        local accept = tonumber(ARGV[2])
        local n = (#KEYS - 1) / 3
        local best, tied, starts, trials, disabled = nil, {}, {}, {}, {}
        local busy = false
        local rStatus, rIndex, rAt = 4, -1, nil
        local function refuse(status, i, at)
          if rAt == nil or at < rAt then rStatus, rIndex, rAt = status, i - 1, at end
        end
        for i = 1, n do
          local state, leases, a = KEYS[3 * i - 1], KEYS[3 * i], 6 + 5 * (i - 1)
          local s = redis.call('HMGET', state, 'dr', 'bu', 'cu', 'tu', 'rt', 'tt')
          local blocked = tonumber(s[2]) or 0
          if s[1] then
            disabled[#disabled + 1] = i - 1
          elseif blocked > now then
            refuse(2, i, math.max(blocked, tonumber(s[5]) or 0, tonumber(s[6]) or 0))
          else
            local coolAt = nil
            if s[3] then
              local cooling = tonumber(s[3])
              local trialUntil = tonumber(s[4]) or 0
              if cooling > now then coolAt = cooling elseif trialUntil > now then coolAt = trialUntil else trials[i] = true end
            end
            if coolAt then
              refuse(3, i, coolAt)
            else
              local start = math.max(now, tonumber(s[5]) or 0, tonumber(s[6]) or 0)
              local maxc = tonumber(ARGV[a + 4])
              local full = false
              if maxc > 0 then
                redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
                full = redis.call('ZCARD', leases) >= maxc
              end
              if start > accept then
                refuse(1, i, start)
              elseif full then
                busy = true
              elseif best == nil or start < best then
                best, tied = start, {i}
              elseif start == best then
                tied[#tied + 1] = i
              end
              starts[i] = start
            end
          end
        end
        if best == nil then
          if busy then return {5, -1, now, disabled} end
          if rAt == nil then return {4, -1, 0, disabled} end
          return {rStatus, rIndex, rAt, disabled}
        end
        local chosen = tied[1]
        if #tied > 1 then
          local total, top = 0, nil
          for _, i in ipairs(tied) do
            local a = 6 + 5 * (i - 1)
            local weight = tonumber(ARGV[a + 5])
            local current = (tonumber(redis.call('HGET', KEYS[1], ARGV[a + 1])) or 0) + weight
            redis.call('HSET', KEYS[1], ARGV[a + 1], current)
            total = total + weight
            if top == nil or current > top then chosen, top = i, current end
          end
          local a = 6 + 5 * (chosen - 1)
          redis.call('HINCRBY', KEYS[1], ARGV[a + 1], -total)
        end
        local a = 6 + 5 * (chosen - 1)
        local state, leases, start = KEYS[3 * chosen - 1], KEYS[3 * chosen], starts[chosen]
        local rs, ts, maxc = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
        if rs > 0 then redis.call('HSET', state, 'rt', string.format('%.0f', start + rs)) end
        if ts > 0 then redis.call('HSET', state, 'tt', string.format('%.0f', start + ts)) end
        if maxc > 0 then
          redis.call('ZADD', leases, ARGV[4], ARGV[3])
          redis.call('PEXPIRE', leases, ARGV[6])
        end
        if trials[chosen] then
          redis.call('HSET', state, 'tu', ARGV[5])
          return {6, chosen - 1, start, disabled}
        end
        return {0, chosen - 1, start, disabled}
        """;

    // Health first (disabled, blocked, cooling with at most one trial call in flight), then concurrency, then the
    // schedule: the start is the later of now and the next free request and token times; it is reserved only when the
    // caller takes it. Returns {status, at}: 0 granted, 6 granted as the trial, 1 later, 2 blocked, 3 cooling,
    // 4 disabled, 5 busy.
    public const string Acquire = """
        local s = redis.call('HMGET', KEYS[1], 'dr', 'bu', 'cu', 'tu', 'rt', 'tt')
        if s[1] then return {4, 0} end
        local now = tonumber(ARGV[1])
        local blocked = tonumber(s[2]) or 0
        if blocked > now then return {2, math.max(blocked, tonumber(s[5]) or 0, tonumber(s[6]) or 0)} end
        local trial = false
        if s[3] then
          local cooling = tonumber(s[3])
          if cooling > now then return {3, cooling} end
          local trialUntil = tonumber(s[4]) or 0
          if trialUntil > now then return {3, trialUntil} end
          trial = true
        end
        local maxc = tonumber(ARGV[5])
        if maxc > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
          if redis.call('ZCARD', KEYS[2]) >= maxc then return {5, now} end
        end
        local start = math.max(now, tonumber(s[5]) or 0, tonumber(s[6]) or 0)
        if start > tonumber(ARGV[2]) then return {1, start} end
        local rs = tonumber(ARGV[3])
        local ts = tonumber(ARGV[4])
        if rs > 0 then redis.call('HSET', KEYS[1], 'rt', string.format('%.0f', start + rs)) end
        if ts > 0 then redis.call('HSET', KEYS[1], 'tt', string.format('%.0f', start + ts)) end
        if maxc > 0 then
          redis.call('ZADD', KEYS[2], ARGV[7], ARGV[6])
          -- Relative, from Redis's clock: the caller's clock may be a test's.
          redis.call('PEXPIRE', KEYS[2], ARGV[9])
        end
        if trial then
          redis.call('HSET', KEYS[1], 'tu', ARGV[8])
          return {6, start}
        end
        return {0, start}
        """;

    // Lessons (the key now waits) are published on the store's lesson channel: the last two ARGV of a lesson's script
    // are the channel and the key's grain key (see RedisUpstreamKeyStore.WatchLessonsAsync).
    private const string Announce = "local function announce() redis.call('PUBLISH', ARGV[#ARGV - 1], ARGV[#ARGV]) end\n";

    // The schedule's next start moves to at least ARGV[1], and so does the hold ('hu'): starts granted before it no
    // longer stand (the callers waiting on them confirm their start first). A lesson when either moved.
    public const string Delay = Announce + """
        local s = redis.call('HMGET', KEYS[1], 'rt', 'hu')
        local notBefore = tonumber(ARGV[1])
        local moved = false
        if notBefore > (tonumber(s[1]) or 0) then redis.call('HSET', KEYS[1], 'rt', ARGV[1]); moved = true end
        if notBefore > (tonumber(s[2]) or 0) then redis.call('HSET', KEYS[1], 'hu', ARGV[1]); moved = true end
        if moved then announce() end
        return 0
        """;

    // The newest answer's window ('wa' its call's start, 'wu' until, 'wr' remaining), kept unless a newer one is there.
    public const string LimitStarts = """
        local after = tonumber(redis.call('HGET', KEYS[1], 'wa'))
        if after and tonumber(ARGV[1]) < after then return 0 end
        redis.call('HSET', KEYS[1], 'wa', ARGV[1], 'wu', ARGV[2], 'wr', ARGV[3])
        return 1
        """;

    // A lesson when the block grew.
    public const string Block = Announce + """
        local current = tonumber(redis.call('HGET', KEYS[1], 'bu')) or 0
        if tonumber(ARGV[1]) > current then
            redis.call('HSET', KEYS[1], 'bu', ARGV[1], 'br', ARGV[2])
            announce()
        end
        return 0
        """;

    // ARGV: now, window start (errors at or before it are forgotten), threshold, cool until, reason, member, expiry ms.
    // A lesson when the key cools.
    public const string RecordError = Announce + """
        if redis.call('HEXISTS', KEYS[1], 'cu') == 1 then return 0 end
        redis.call('ZADD', KEYS[3], ARGV[1], ARGV[6])
        redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[2])
        redis.call('PEXPIRE', KEYS[3], ARGV[7])
        if redis.call('ZCARD', KEYS[3]) < tonumber(ARGV[3]) then return 0 end
        redis.call('DEL', KEYS[3])
        redis.call('HSET', KEYS[1], 'cu', ARGV[4], 'cr', ARGV[5])
        redis.call('HDEL', KEYS[1], 'tu')
        announce()
        return 1
        """;

    public const string Cool = Announce + """
        redis.call('HSET', KEYS[1], 'cu', ARGV[1], 'cr', ARGV[2])
        redis.call('HDEL', KEYS[1], 'tu')
        announce()
        return 0
        """;

    public const string Disable = Announce + """
        redis.call('HSET', KEYS[1], 'dr', ARGV[1])
        announce()
        return 0
        """;

    public const string Restore = """
        redis.call('HDEL', KEYS[1], 'cu', 'tu', 'cr')
        redis.call('DEL', KEYS[3])
        return 0
        """;

    public const string Enable = """
        redis.call('HDEL', KEYS[1], 'dr', 'bu', 'br', 'cu', 'tu', 'cr')
        redis.call('DEL', KEYS[3])
        return 0
        """;
}
