namespace Parley.Grains.Quotas.Ledger;

/// <summary>The ledger's Lua scripts. Each is one EVALSHA over the fixed key list of <see cref="RedisQuotaKeys"/>
/// (all in the user's hash slot) and the argument list of <see cref="RedisQuotaLedger"/>: ARGV[1] day, [2] previous
/// day, [3] month, [4] previous month, [5] key id ('' none), [6] reservation id, [7] the numbers, as 21 little-endian
/// doubles (one struct.unpack instead of parsing 21 strings): now (unix ms), state TTL (ms until the month ends plus
/// the grace), tokens, micro-USD, reservation TTL (ms), ms until the day ends, ms until the month ends, the user's
/// limits and the key's (rpm, tpm, concurrency, day tokens, month tokens, day money, month money; NaN = none).
/// Time comes only from ARGV (never TIME), so the caller's clock decides. Numbers concatenated into strings go through
/// string.format('%d') because Lua 5.1 would print large doubles in exponent form (redis.call arguments need not:
/// Redis formats them with 17 digits).
/// <para>An admission far from every limit with nothing expired makes 4 calls (6 with a key that has limits): HMGET of
/// the state hash, ZADD to the window and in-flight sets of each scope, HSET of the state hash. Windows stay exact: an
/// entry leaves at exactly t + 60 s, since the record's lowest score says when the next one is due.</para></summary>
internal static partial class RedisQuotaLedgerScripts
{
    /// <summary>Returns {1 admitted | 0 refused | -1 duplicate id | -2 released before it ran, refusal scope, kind,
    /// limit, retry ms, user window state (6), key window state (6), alerts as (scope, kind, threshold, period, used,
    /// limit)...}.</summary>
    public const string Admit = Common + Alerts + Checks + """
        if gone then
          redis.call('HDEL', H, 'g:' .. id)
          return finish({-2})
        end
        -- A reservation released just now (expired) frees its id; one still in flight does not.
        if state[1] and not released[id] then return finish({-1}) end

        local kind, limit, retry = check(U)
        local scope = 0
        if not kind and hasKey then
          kind, limit, retry = check(K)
          scope = 1
        end
        if kind then
          local out = {0, scope, kind, limit, retry}
          windowState(out, U, false)
          windowState(out, K, false)
          -- A budget that refuses is exhausted: that is its 100 % alert, reported once per period like the others
          -- (with reservations, use may stop just short of the limit and never cross it by itself).
          if kind >= 3 then
            local s = (scope == 1) and K or U
            local isDay, isTokens = (kind == 3 or kind == 5), (kind == 3 or kind == 4)
            local at
            if isDay then at = s.day or openSlot(s, DAYS, today) else at = s.month or openSlot(s, MONTHS, month) end
            local b = isTokens and 4 or 32
            if at and bit.band(s.r[at + 3], b) == 0 then
              s.r[at + 3], s.dirty = bit.bor(s.r[at + 3], b), true
              local n = #out
              out[n + 1], out[n + 2], out[n + 3] = scope, kind, 100
              out[n + 4], out[n + 5], out[n + 6] = s.r[at], I(isTokens and s.r[at + 1] or s.r[at + 2]), I(limit)
            end
          end
          return finish(out)
        end

        local expiry = now + ttl
        reservation = struct.pack(RESERVATION, tokens, cost, now, today, month) .. keyId
        local member = I(tokens) .. ':' .. id
        for i = 1, #scopes do
          local s = scopes[i]
          local r, b = s.r, s.limits
          ensure(s)
          -- The reservation must be releasable after its expiry: the state and in-flight set must outlive it.
          if r[STATE] < expiry + MARGIN then s.extend = true end
          if r[N] == 0 then s.newWin, r[OLD] = true, now elseif now < r[OLD] then r[OLD] = now end
          if r[LIVE] == 0 or expiry < r[NEXT] then r[NEXT] = expiry end
          -- ZADD's count keeps the record exact even if a settled id were reused while its entry is in the window.
          local added = redis.call('ZADD', s.win, now, member)
          r[N], r[SUM] = r[N] + added, r[SUM] + added * tokens
          r[LIVE], s.dirty = r[LIVE] + redis.call('ZADD', s.inflight, expiry, id), true

          local d = s.day or openSlot(s, DAYS, today)
          local m = s.month or openSlot(s, MONTHS, month)
          if d then
            local tok, usd = r[d + 1], r[d + 2]
            r[d + 1], r[d + 2] = tok + tokens, usd + cost
            crossed(s, d, 3, tok, tok + tokens, A[b + 3], 0)
            crossed(s, d, 5, usd, usd + cost, A[b + 5], 3)
          end
          if m then
            local tok, usd = r[m + 1], r[m + 2]
            r[m + 1], r[m + 2] = tok + tokens, usd + cost
            crossed(s, m, 4, tok, tok + tokens, A[b + 4], 0)
            crossed(s, m, 6, usd, usd + cost, A[b + 6], 3)
          end
        end

        local out = {1, 0, 0, 0, 0}
        windowState(out, U, true)
        windowState(out, K, true)
        for i = 1, #alerts do out[#out + 1] = alerts[i] end
        return finish(out)
        """;

    /// <summary>Returns {0} when the reservation is unknown (settled, released or never admitted), {-1} when it was
    /// admitted for another key, else {1, alerts as (scope, kind, threshold, period, used, limit)...}.</summary>
    public const string Settle = Common + Alerts + """
        local raw = state[1]
        if not raw or released[id] then return finish({0}) end
        local rTokens, rCost, rAt, rDay, rMonth, at = struct.unpack(RESERVATION, raw)
        if string.sub(raw, at) ~= keyId then return finish({-1}) end
        redis.call('HDEL', H, 'r:' .. id)
        local dTok, dUsd = tokens - rTokens, cost - rCost
        for i = 1, #scopes do
          local s = scopes[i]
          local r, b = s.r, s.limits
          r[LIVE], s.dirty = r[LIVE] - redis.call('ZREM', s.inflight, id), true
          -- The minute window takes the actual amount: in place while the admission is still in it, else any excess
          -- over the reservation enters now as a late entry of its own.
          if dTok ~= 0 then
            if redis.call('ZREM', s.win, I(rTokens) .. ':' .. id) == 1 then
              -- Removing the only entry deleted the set: the ZADD creates it again, without its expiry.
              if r[N] == 1 then ensure(s); s.newWin = true end
              redis.call('ZADD', s.win, rAt, I(tokens) .. ':' .. id)
              r[SUM] = r[SUM] + dTok
            elseif dTok > 0 then
              ensure(s)
              if r[LATE] == 0 then s.newLate = true end
              local added = redis.call('ZADD', s.late, now, I(dTok) .. ':' .. id)
              r[LATE], r[SUM] = r[LATE] + added, r[SUM] + added * dTok
            end
          end
          if dTok ~= 0 or dUsd ~= 0 then
            local d, m = addToPeriods(s, rDay, rMonth, dTok, dUsd)
            if d then
              crossed(s, d, 3, r[d + 1] - dTok, r[d + 1], A[b + 3], 0)
              crossed(s, d, 5, r[d + 2] - dUsd, r[d + 2], A[b + 5], 3)
            end
            if m then
              crossed(s, m, 4, r[m + 1] - dTok, r[m + 1], A[b + 4], 0)
              crossed(s, m, 6, r[m + 2] - dUsd, r[m + 2], A[b + 6], 3)
            end
          end
        end
        local out = {1}
        for i = 1, #alerts do out[#out + 1] = alerts[i] end
        return finish(out)
        """;

    /// <summary>Takes back an admission whose answer never reached its caller: its window entries, its in-flight slot and
    /// what it reserved of the periods (alert markers stay: a threshold that was reported stays reported). A reservation
    /// that expired in this very call has already given back its reservation; only its window entries go. When the id
    /// is unknown (the admission has not run, or never will) it is marked, so that the admission refuses itself should
    /// it still arrive; the mark lives for the reservation TTL, and a release sweeps marks past their time. Returns {1}
    /// taken back, {0} marked (or already taken back), {-1} admitted for another key.</summary>
    public const string Release = Common + """
        local raw = state[1]
        if raw then
          local rTokens, rCost, _, rDay, rMonth, at = struct.unpack(RESERVATION, raw)
          if string.sub(raw, at) ~= keyId then return finish({-1}) end
          local expired = released[id]
          if not expired then redis.call('HDEL', H, 'r:' .. id) end
          local member = I(rTokens) .. ':' .. id
          for i = 1, #scopes do
            local s = scopes[i]
            local r = s.r
            if not expired then
              r[LIVE] = r[LIVE] - redis.call('ZREM', s.inflight, id)
              addToPeriods(s, rDay, rMonth, -rTokens, -rCost)
            end
            if redis.call('ZREM', s.win, member) == 1 then r[N], r[SUM] = r[N] - 1, r[SUM] - rTokens end
            s.dirty = true
          end
          return finish({1})
        end
        if gone then return finish({0}) end
        local cursor, stale = '0', {}
        repeat
          local page = redis.call('HSCAN', H, cursor, 'MATCH', 'g:*', 'COUNT', CHUNK)
          cursor = page[1]
          for i = 1, #page[2], 2 do
            if tonumber(page[2][i + 1]) <= now then stale[#stale + 1] = page[2][i] end
          end
        until cursor == '0'
        if #stale > 0 then redis.call('HDEL', H, unpack(stale)) end
        redis.call('HSET', H, 'g:' .. id, I(now + ttl))
        -- A hash created by this mark gets its expiry like any other.
        U.dirty = true
        return finish({0})
        """;

    /// <summary>Returns {requests in the window, tokens in the window, in flight, day tokens, month tokens, day
    /// micro-USD, month micro-USD} of the key when ARGV[5] names one, else of the user.</summary>
    public const string Usage = Common + """
        local r = (hasKey and K or U).r
        local d, m = slotOf(r, DAYS, today), slotOf(r, MONTHS, month)
        return finish({r[N], r[SUM], r[LIVE], d and r[d + 1] or 0, m and r[m + 1] or 0, d and r[d + 2] or 0, m and r[m + 2] or 0})
        """;
}
