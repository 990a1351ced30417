namespace Parley.Grains.Quotas.Ledger;

internal static partial class RedisQuotaLedgerScripts
{
    /// <summary>The limits and the budget alerts, for admissions and settlements.</summary>
    private const string Alerts = """
        local function lim(i) local v = ARGV[i] if v == '' then return nil end return tonumber(v) end
        local function limitsAt(b)
          return {rpm = lim(b), tpm = lim(b + 1), conc = lim(b + 2), dtok = lim(b + 3), mtok = lim(b + 4), dusd = lim(b + 5), musd = lim(b + 6)}
        end
        local UL = limitsAt(14)
        local KL = hasKey and limitsAt(21) or nil

        -- Going from `before` to `after` of a budget in the period slot at `at`: each threshold crossed upwards whose
        -- bit the slot has not yet is reported, and its bit set, so the alert is reported once per period.
        local function crossed(s, at, kind, before, after, limit, bits)
          if not limit then return end
          for i = 1, 3 do
            local t = THRESHOLDS[i]
            if before * 100 < limit * t and after * 100 >= limit * t and bit.band(s.r[at + 3], BITS[bits + i]) == 0 then
              s.r[at + 3], s.dirty = bit.bor(s.r[at + 3], BITS[bits + i]), true
              local n = #alerts
              alerts[n + 1], alerts[n + 2], alerts[n + 3] = s.scope, kind, t
              alerts[n + 4], alerts[n + 5], alerts[n + 6] = s.r[at], I(after), I(limit)
            end
          end
        end

        """;

    /// <summary>The admission's limit checks and the window state reported with its decision.</summary>
    private const string Checks = """
        local tokens, cost, ttl = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
        local function amountOf(member) return tonumber(string.match(member, '^%d+')) end

        -- When enough tokens leave for this request: walks the window and late entries oldest first (ties in any
        -- order give the same time) until the tokens freed reach `need`.
        local function tokenRetry(s, need)
          local late = s.r[LATE] > 0 and redis.call('ZRANGE', s.late, 0, -1, 'WITHSCORES') or {}
          local li, freed, start = 1, 0, 0
          while true do
            local e = redis.call('ZRANGE', s.win, start, start + CHUNK - 1, 'WITHSCORES')
            for i = 1, #e, 2 do
              local score = tonumber(e[i + 1])
              while late[li] and tonumber(late[li + 1]) <= score do
                freed = freed + amountOf(late[li])
                if freed >= need then return tonumber(late[li + 1]) + WINDOW - now end
                li = li + 2
              end
              freed = freed + amountOf(e[i])
              if freed >= need then return score + WINDOW - now end
            end
            if #e < 2 * CHUNK then break end
            start = start + CHUNK
          end
          while late[li] do
            freed = freed + amountOf(late[li])
            if freed >= need then return tonumber(late[li + 1]) + WINDOW - now end
            li = li + 2
          end
          return WINDOW
        end

        -- The first limit of the scope the request would exceed: kind, limit, retry ms; nil when it fits.
        local function check(s, L)
          local r = s.r
          if L.conc and r[LIVE] >= L.conc then
            local first = redis.call('ZRANGE', s.inflight, 0, 0, 'WITHSCORES')
            return 2, L.conc, math.min(tonumber(first[2]) - now, ttl)
          end
          if L.rpm and r[N] >= L.rpm then
            local e = redis.call('ZRANGE', s.win, r[N] - L.rpm, r[N] - L.rpm, 'WITHSCORES')
            return 0, L.rpm, tonumber(e[2]) + WINDOW - now
          end
          if L.tpm then
            -- A request larger than the whole per-minute limit can never fit: it is refused with a full window as
            -- its retry (the most honest "not before"); the caller should lower max_tokens.
            if tokens > L.tpm then return 1, L.tpm, WINDOW end
            if r[SUM] + tokens > L.tpm then return 1, L.tpm, tokenRetry(s, r[SUM] + tokens - L.tpm) end
          end
          local d, m = slotOf(r, DAYS, today), slotOf(r, MONTHS, month)
          s.day, s.month = d, m
          if L.dtok and (d and r[d + 1] or 0) + tokens > L.dtok then return 3, L.dtok, tonumber(ARGV[12]) end
          if L.mtok and (m and r[m + 1] or 0) + tokens > L.mtok then return 4, L.mtok, tonumber(ARGV[13]) end
          if L.dusd and (d and r[d + 2] or 0) + cost > L.dusd then return 5, L.dusd, tonumber(ARGV[12]) end
          if L.musd and (m and r[m + 2] or 0) + cost > L.musd then return 6, L.musd, tonumber(ARGV[13]) end
          return nil
        end

        -- Appends {requests limit, remaining, reset ms, tokens limit, remaining, reset ms} (limit -1: none) to out.
        local function windowState(out, s, L, added)
          local n = #out
          out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5], out[n + 6] = -1, 0, 0, -1, 0, 0
          if not s then return end
          local r = s.r
          if L.rpm then
            local reset = 0
            if r[N] >= L.rpm then
              reset = tonumber(redis.call('ZRANGE', s.win, r[N] - L.rpm, r[N] - L.rpm, 'WITHSCORES')[2]) + WINDOW - now
            end
            out[n + 1], out[n + 2], out[n + 3] = L.rpm, math.max(L.rpm - r[N], 0), reset
          end
          if L.tpm then
            local reset = 0
            if r[SUM] > 0 and added then
              -- The newest entry is this call's, admitted now: the window is back to full one window from now.
              reset = WINDOW
            elseif r[SUM] > 0 then
              local newest
              local e = redis.call('ZRANGE', s.win, -1, -1, 'WITHSCORES')
              if e[2] then newest = tonumber(e[2]) end
              if r[LATE] > 0 then
                e = redis.call('ZRANGE', s.late, -1, -1, 'WITHSCORES')
                if e[2] and (not newest or tonumber(e[2]) > newest) then newest = tonumber(e[2]) end
              end
              if newest then reset = newest + WINDOW - now end
            end
            out[n + 4], out[n + 5], out[n + 6] = L.tpm, math.max(L.tpm - r[SUM], 0), reset
          end
        end

        """;
}
