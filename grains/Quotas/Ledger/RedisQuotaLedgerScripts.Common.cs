namespace Parley.Grains.Quotas.Ledger;

internal static partial class RedisQuotaLedgerScripts
{
    /// <summary>Shared helpers; every script begins by releasing expired reservations and trimming the windows.</summary>
    private const string Common = """
        local now = tonumber(ARGV[1])
        local WINDOW = 60000
        local CHUNK = 500
        local THRESHOLDS = {50, 80, 100}
        local function I(n) return string.format('%d', n) end
        local function lim(i) if ARGV[i] == '' then return nil end return tonumber(ARGV[i]) end
        local function limitsAt(b)
          return {rpm = lim(b), tpm = lim(b + 1), conc = lim(b + 2), dtok = lim(b + 3), mtok = lim(b + 4), dusd = lim(b + 5), musd = lim(b + 6)}
        end
        local RES, RESDATA = KEYS[1], KEYS[2]
        local keyId = ARGV[8]
        local hasKey = keyId ~= ''
        local U = {req = KEYS[3], tok = KEYS[4], amt = KEYS[5], sum = KEYS[6], inflight = KEYS[1], field = 'u', scope = 0}
        local K = {req = KEYS[7], tok = KEYS[8], amt = KEYS[9], sum = KEYS[10], inflight = KEYS[11], field = 'k:' .. keyId, scope = 1}
        local today, yesterday, month, lastMonth = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        local DAY, PREV_DAY, MONTH, PREV_MONTH = KEYS[12], KEYS[13], KEYS[14], KEYS[15]
        local alerts = {}

        local function dayKeyOf(d) if d == today then return DAY elseif d == yesterday then return PREV_DAY end return nil end
        local function monthKeyOf(m) if m == month then return MONTH elseif m == lastMonth then return PREV_MONTH end return nil end
        local function tokenSum(s) return tonumber(redis.call('GET', s.sum) or '0') end
        local function extend(k, ms) if redis.call('PTTL', k) < ms then redis.call('PEXPIRE', k, I(ms)) end end

        -- Token entries leaving the window take their amounts out of the running sum, so the sum stays exact.
        local function trim(s)
          local cutoff = I(now - WINDOW)
          redis.call('ZREMRANGEBYSCORE', s.req, '-inf', cutoff)
          while true do
            local gone = redis.call('ZRANGEBYSCORE', s.tok, '-inf', cutoff, 'LIMIT', 0, CHUNK)
            if #gone == 0 then break end
            local amounts = redis.call('HMGET', s.amt, unpack(gone))
            local total = 0
            for i = 1, #amounts do total = total + (tonumber(amounts[i]) or 0) end
            redis.call('HDEL', s.amt, unpack(gone))
            redis.call('ZREM', s.tok, unpack(gone))
            if total ~= 0 then redis.call('DECRBY', s.sum, I(total)) end
          end
          -- An emptied window's amounts and sum are left to expire with the window (every record extends them).
        end

        local function parse(raw)
          local t, c, at, d, m, kid = string.match(raw, '^(%-?%d+):(%-?%d+):(%-?%d+):([^:]*):([^:]*):(.*)$')
          return {tokens = tonumber(t), cost = tonumber(c), at = tonumber(at), day = d, month = m, kid = kid}
        end

        -- Adds to a period's counters only while they exist, so a late call never recreates a vanished period.
        local function addToPeriod(pk, kid, tokens, cost)
          if not pk or redis.call('EXISTS', pk) == 0 then return end
          if tokens ~= 0 then
            redis.call('HINCRBY', pk, 'u:tok', I(tokens))
            if kid ~= '' then redis.call('HINCRBY', pk, 'k:' .. kid .. ':tok', I(tokens)) end
          end
          if cost ~= 0 then
            redis.call('HINCRBY', pk, 'u:usd', I(cost))
            if kid ~= '' then redis.call('HINCRBY', pk, 'k:' .. kid .. ':usd', I(cost)) end
          end
        end

        -- Reservations past their expiry give back what they reserved and leave the concurrency sets. Key sets of
        -- other keys drop their expired members when that key is next used (their scores are the expiries).
        local function releaseExpired()
          local cutoff = I(now)
          while true do
            local expired = redis.call('ZRANGEBYSCORE', RES, '-inf', cutoff, 'LIMIT', 0, CHUNK)
            if #expired == 0 then break end
            local raws = redis.call('HMGET', RESDATA, unpack(expired))
            for i = 1, #expired do
              if raws[i] then
                local r = parse(raws[i])
                addToPeriod(dayKeyOf(r.day), r.kid, -r.tokens, -r.cost)
                addToPeriod(monthKeyOf(r.month), r.kid, -r.tokens, -r.cost)
              end
            end
            redis.call('HDEL', RESDATA, unpack(expired))
            redis.call('ZREM', RES, unpack(expired))
          end
          if hasKey then redis.call('ZREMRANGEBYSCORE', K.inflight, '-inf', cutoff) end
        end

        local function periodUse(pk, s)
          local v = redis.call('HMGET', pk, s.field .. ':tok', s.field .. ':usd')
          -- The third value says whether the scope was charged in this period before (its fields exist).
          return tonumber(v[1] or '0'), tonumber(v[2] or '0'), v[1] ~= false
        end

        -- Only the call whose HSETNX sets the marker reports the alert: once per threshold, scope and period.
        local function crossed(pk, s, kind, period, before, after, limit)
          if not limit then return end
          for _, t in ipairs(THRESHOLDS) do
            if before * 100 < limit * t and after * 100 >= limit * t
              and redis.call('HSETNX', pk, 'alert:' .. s.field .. ':' .. kind .. ':' .. t, '1') == 1 then
              local n = #alerts
              alerts[n + 1], alerts[n + 2], alerts[n + 3] = s.scope, kind, t
              alerts[n + 4], alerts[n + 5], alerts[n + 6] = period, I(after), I(limit)
            end
          end
        end

        -- Adds to one scope's day or month counters and reports the thresholds crossed.
        local function charge(pk, period, s, L, isDay, dTok, dUsd)
          local tok, usd
          local known = isDay and s.day or s.month
          if known then
            tok, usd = known[1], known[2]
            if isDay then s.day = nil else s.month = nil end
          else
            tok, usd = periodUse(pk, s)
          end
          if dTok ~= 0 then redis.call('HINCRBY', pk, s.field .. ':tok', I(dTok)) end
          if dUsd ~= 0 then redis.call('HINCRBY', pk, s.field .. ':usd', I(dUsd)) end
          if isDay then
            crossed(pk, s, 3, period, tok, tok + dTok, L.dtok)
            crossed(pk, s, 5, period, usd, usd + dUsd, L.dusd)
          else
            crossed(pk, s, 4, period, tok, tok + dTok, L.mtok)
            crossed(pk, s, 6, period, usd, usd + dUsd, L.musd)
          end
        end

        -- {requests limit, remaining, reset ms, tokens limit, remaining, reset ms}; limit -1: none.
        local function windowState(s, L)
          local out = {-1, 0, 0, -1, 0, 0}
          if L.rpm then
            -- Counted during this call when it checked the limit (plus its own entry once recorded).
            local n = s.counted and (s.counted + (s.added and 1 or 0)) or redis.call('ZCARD', s.req)
            local reset = 0
            if n >= L.rpm then
              local e = redis.call('ZRANGE', s.req, I(n - L.rpm), I(n - L.rpm), 'WITHSCORES')
              reset = tonumber(e[2]) + WINDOW - now
            end
            out[1], out[2], out[3] = L.rpm, math.max(L.rpm - n, 0), reset
          end
          if L.tpm then
            local sum = s.summed and (s.summed + (s.added and tonumber(ARGV[10]) or 0)) or tokenSum(s)
            local reset = 0
            if sum > 0 and s.added then
              -- The newest entry is this call's, admitted now: the window is back to full one window from now.
              reset = WINDOW
            elseif sum > 0 then
              local e = redis.call('ZRANGE', s.tok, -1, -1, 'WITHSCORES')
              if e[2] then reset = tonumber(e[2]) + WINDOW - now end
            end
            out[4], out[5], out[6] = L.tpm, math.max(L.tpm - sum, 0), reset
          end
          return out
        end

        releaseExpired()
        trim(U)
        if hasKey then trim(K) end

        """;
}
