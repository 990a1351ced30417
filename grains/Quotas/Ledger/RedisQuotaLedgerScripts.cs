namespace Parley.Grains.Quotas.Ledger;

/// <summary>The ledger's Lua scripts. Each is one EVALSHA over the fixed key list of <see cref="RedisQuotaKeys"/>
/// (all in the user's hash slot) and the argument list of <see cref="RedisQuotaLedger"/>:
/// ARGV[1] now (unix ms), [2] day, [3] previous day, [4] month, [5] previous month, [6] day-counter key TTL (ms),
/// [7] month-counter key TTL (ms), [8] key id ('' none), [9] reservation id, [10] tokens, [11] micro-USD,
/// [12] reservation TTL (ms), [13] ms until the day ends, [14] ms until the month ends, [15..21] the user's limits and
/// [22..28] the key's (rpm, tpm, concurrency, day tokens, month tokens, day money, month money; '' = none).
/// Time comes only from ARGV[1] (never TIME), so the caller's clock decides. Numbers handed back to Redis go through
/// string.format('%d') because Lua 5.1 would print large doubles in exponent form.</summary>
internal static partial class RedisQuotaLedgerScripts
{
    /// <summary>Returns {1 admitted | 0 refused | -1 duplicate id, refusal scope, kind, limit, retry ms, user window
    /// state (6), key window state (6), alerts as (scope, kind, threshold, period, used, limit)...}.</summary>
    public const string Admit = Common + """
        local id = ARGV[9]
        if redis.call('HEXISTS', RESDATA, id) == 1 then return {-1} end
        local tokens, cost, ttl = tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
        local UL, KL = limitsAt(15), limitsAt(22)
        local msToDayEnd, msToMonthEnd = tonumber(ARGV[13]), tonumber(ARGV[14])

        local function check(s, L)
          if L.conc then
            local n = redis.call('ZCARD', s.inflight)
            if n >= L.conc then
              local first = redis.call('ZRANGE', s.inflight, 0, 0, 'WITHSCORES')
              return 2, L.conc, math.min(tonumber(first[2]) - now, ttl)
            end
          end
          if L.rpm then
            local n = redis.call('ZCARD', s.req)
            s.counted = n
            if n >= L.rpm then
              local e = redis.call('ZRANGE', s.req, I(n - L.rpm), I(n - L.rpm), 'WITHSCORES')
              return 0, L.rpm, tonumber(e[2]) + WINDOW - now
            end
          end
          if L.tpm then
            -- A request larger than the whole per-minute limit can never fit: it is refused with a full window as
            -- its retry (the most honest "not before"); the caller should lower max_tokens.
            if tokens > L.tpm then return 1, L.tpm, WINDOW end
            local sum = tokenSum(s)
            s.summed = sum
            if sum + tokens > L.tpm then
              local freed, start = 0, 0
              while true do
                local entries = redis.call('ZRANGE', s.tok, start, start + CHUNK - 1, 'WITHSCORES')
                if #entries == 0 then return 1, L.tpm, WINDOW end
                local ids = {}
                for i = 1, #entries, 2 do ids[#ids + 1] = entries[i] end
                local amounts = redis.call('HMGET', s.amt, unpack(ids))
                for i = 1, #ids do
                  freed = freed + (tonumber(amounts[i]) or 0)
                  if sum - freed + tokens <= L.tpm then
                    return 1, L.tpm, tonumber(entries[2 * i]) + WINDOW - now
                  end
                end
                start = start + CHUNK
              end
            end
          end
          local dTok, dUsd, dayCharged = periodUse(DAY, s)
          local mTok, mUsd, monthCharged = periodUse(MONTH, s)
          s.dayCharged, s.monthCharged = dayCharged, monthCharged
          -- Kept for charge() and the window state below, which would otherwise read them again.
          s.day, s.month = {dTok, dUsd}, {mTok, mUsd}
          if L.dtok and dTok + tokens > L.dtok then return 3, L.dtok, msToDayEnd end
          if L.mtok and mTok + tokens > L.mtok then return 4, L.mtok, msToMonthEnd end
          if L.dusd and dUsd + cost > L.dusd then return 5, L.dusd, msToDayEnd end
          if L.musd and mUsd + cost > L.musd then return 6, L.musd, msToMonthEnd end
          return nil
        end

        local function states(r)
          local us = windowState(U, UL)
          for i = 1, 6 do r[#r + 1] = us[i] end
          local ks = {-1, 0, 0, -1, 0, 0}
          if hasKey then ks = windowState(K, KL) end
          for i = 1, 6 do r[#r + 1] = ks[i] end
          return r
        end

        local kind, limit, retry = check(U, UL)
        local scope = 0
        if not kind and hasKey then
          kind, limit, retry = check(K, KL)
          scope = 1
        end
        if kind then
          local r = states({0, scope, kind, I(limit), retry})
          -- A budget that refuses is exhausted: that is its 100 % alert, reported once per period like the others
          -- (with reservations, use may stop just short of the limit and never cross it by itself).
          if kind >= 3 then
            local s = (scope == 1) and K or U
            local isDay = (kind == 3 or kind == 5)
            local pk = isDay and DAY or MONTH
            if redis.call('HSETNX', pk, 'alert:' .. s.field .. ':' .. kind .. ':100', '1') == 1 then
              redis.call('PEXPIRE', pk, isDay and ARGV[6] or ARGV[7])
              local used = tonumber(redis.call('HGET', pk, s.field .. ((kind == 3 or kind == 4) and ':tok' or ':usd')) or '0')
              local n = #r
              r[n + 1], r[n + 2], r[n + 3] = scope, kind, 100
              r[n + 4], r[n + 5], r[n + 6] = isDay and today or month, I(used), I(limit)
            end
          end
          return r
        end

        local expiry = now + ttl
        redis.call('ZADD', RES, I(expiry), id)
        redis.call('HSET', RESDATA, id, ARGV[10] .. ':' .. ARGV[11] .. ':' .. ARGV[1] .. ':' .. today .. ':' .. month .. ':' .. keyId)
        extend(RES, ttl + WINDOW)
        extend(RESDATA, ttl + WINDOW)
        local function record(s)
          s.added = true
          redis.call('ZADD', s.req, ARGV[1], id)
          redis.call('ZADD', s.tok, ARGV[1], id)
          redis.call('HSET', s.amt, id, ARGV[10])
          redis.call('INCRBY', s.sum, ARGV[10])
          for _, k in ipairs({s.req, s.tok, s.amt, s.sum}) do redis.call('PEXPIRE', k, 2 * WINDOW) end
        end
        record(U)
        if hasKey then
          record(K)
          redis.call('ZADD', K.inflight, I(expiry), id)
          extend(K.inflight, ttl + WINDOW)
        end
        charge(DAY, today, U, UL, true, tokens, cost)
        charge(MONTH, month, U, UL, false, tokens, cost)
        if hasKey then
          charge(DAY, today, K, KL, true, tokens, cost)
          charge(MONTH, month, K, KL, false, tokens, cost)
        end
        -- A period hash expires at a fixed time (its period's end plus the grace): set once, when the user's first
        -- charge in the period creates it.
        if not U.dayCharged then redis.call('PEXPIRE', DAY, ARGV[6]) end
        if not U.monthCharged then redis.call('PEXPIRE', MONTH, ARGV[7]) end
        local r = states({1, 0, 0, 0, 0})
        for i = 1, #alerts do r[#r + 1] = alerts[i] end
        return r
        """;

    /// <summary>Returns {0} when the reservation is unknown (settled, released or never admitted), {-1} when it was
    /// admitted for another key, else {1, alerts as (scope, kind, threshold, period, used, limit)...}.</summary>
    public const string Settle = Common + """
        local id = ARGV[9]
        local raw = redis.call('HGET', RESDATA, id)
        if not raw then return {0} end
        local r = parse(raw)
        if r.kid ~= keyId then return {-1} end
        redis.call('HDEL', RESDATA, id)
        redis.call('ZREM', RES, id)
        if hasKey then redis.call('ZREM', K.inflight, id) end
        local tokens, cost = tonumber(ARGV[10]), tonumber(ARGV[11])
        local UL, KL = limitsAt(15), limitsAt(22)

        -- The minute window takes the actual amount: in place while the admission is still in it, else any excess
        -- over the reservation enters now as an entry of its own.
        local function settleWindow(s)
          if redis.call('ZSCORE', s.tok, id) then
            local old = tonumber(redis.call('HGET', s.amt, id) or '0')
            if tokens ~= old then
              redis.call('HSET', s.amt, id, ARGV[10])
              redis.call('INCRBY', s.sum, I(tokens - old))
            end
          elseif tokens > r.tokens then
            local late = id .. '#late'
            redis.call('ZADD', s.tok, ARGV[1], late)
            redis.call('HSET', s.amt, late, I(tokens - r.tokens))
            redis.call('INCRBY', s.sum, I(tokens - r.tokens))
            for _, k in ipairs({s.tok, s.amt, s.sum}) do redis.call('PEXPIRE', k, 2 * WINDOW) end
          end
        end
        settleWindow(U)
        if hasKey then settleWindow(K) end

        local dTok, dUsd = tokens - r.tokens, cost - r.cost
        local dk, mk = dayKeyOf(r.day), monthKeyOf(r.month)
        if dk and redis.call('EXISTS', dk) == 0 then dk = nil end
        if mk and redis.call('EXISTS', mk) == 0 then mk = nil end
        local scopes = {{U, UL}}
        if hasKey then scopes[2] = {K, KL} end
        for _, sl in ipairs(scopes) do
          if dk then charge(dk, r.day, sl[1], sl[2], true, dTok, dUsd) end
          if mk then charge(mk, r.month, sl[1], sl[2], false, dTok, dUsd) end
        end
        local out = {1}
        for i = 1, #alerts do out[#out + 1] = alerts[i] end
        return out
        """;

    /// <summary>Returns {requests in the window, tokens in the window, in flight, day tokens, month tokens, day
    /// micro-USD, month micro-USD} of the key when ARGV[8] names one, else of the user.</summary>
    public const string Usage = Common + """
        local s = U
        if hasKey then s = K end
        local dTok, dUsd = periodUse(DAY, s)
        local mTok, mUsd = periodUse(MONTH, s)
        return {redis.call('ZCARD', s.req), I(tokenSum(s)), redis.call('ZCARD', s.inflight), I(dTok), I(mTok), I(dUsd), I(mUsd)}
        """;
}
