namespace Parley.Grains.Quotas.Ledger;

internal static partial class RedisQuotaLedgerScripts
{
    /// <summary>Budget alerts, for admissions and settlements.</summary>
    private const string Alerts = """
        -- Going from `before` to `after` of a budget in the period slot at `at`: each threshold crossed upwards whose
        -- bit the slot does not have yet is reported and its bit set, so that the alert is reported once per period.
        local function crossed(s, at, kind, before, after, limit, bits)
          -- Far below the first threshold, or past the last one before (also false for an unset, NaN, limit).
          if not (after * 100 >= limit * 50 and before * 100 < limit * 100) then return end
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
        -- The first limit of the scope the request would exceed: kind, limit, retry ms; nil when it fits.
        local function check(s)
          local r, b = s.r, s.limits
          local rpm, tpm, conc = A[b], A[b + 1], A[b + 2]
          if r[LIVE] >= conc then
            local first = redis.call('ZRANGE', s.inflight, 0, 0, 'WITHSCORES')
            return 2, conc, math.min(tonumber(first[2]) - now, ttl)
          end
          if r[N] >= rpm then
            local e = redis.call('ZRANGE', s.win, r[N] - rpm, r[N] - rpm, 'WITHSCORES')
            return 0, rpm, tonumber(e[2]) + WINDOW - now
          end
          -- A request larger than the whole per-minute limit can never fit: it is refused with a full window as its
          -- retry (the most honest "not before"); the caller should lower max_tokens.
          if tokens > tpm then return 1, tpm, WINDOW end
          if r[SUM] + tokens > tpm then
            -- When enough tokens leave: walks the window and late entries oldest first (ties in any order give the
            -- same time) until the tokens freed reach what is missing.
            local need, late = r[SUM] + tokens - tpm, r[LATE] > 0 and redis.call('ZRANGE', s.late, 0, -1, 'WITHSCORES') or {}
            local li, freed, start = 1, 0, 0
            while true do
              local e = redis.call('ZRANGE', s.win, start, start + CHUNK - 1, 'WITHSCORES')
              for i = 1, #e, 2 do
                local score = tonumber(e[i + 1])
                while late[li] and tonumber(late[li + 1]) <= score do
                  freed = freed + tonumber(string.match(late[li], '^%d+'))
                  if freed >= need then return 1, tpm, tonumber(late[li + 1]) + WINDOW - now end
                  li = li + 2
                end
                freed = freed + tonumber(string.match(e[i], '^%d+'))
                if freed >= need then return 1, tpm, score + WINDOW - now end
              end
              if #e < 2 * CHUNK then break end
              start = start + CHUNK
            end
            while late[li] do
              freed = freed + tonumber(string.match(late[li], '^%d+'))
              if freed >= need then return 1, tpm, tonumber(late[li + 1]) + WINDOW - now end
              li = li + 2
            end
            return 1, tpm, WINDOW
          end
          local d, m = slotOf(r, DAYS, today), slotOf(r, MONTHS, month)
          s.day, s.month = d, m
          if (d and r[d + 1] or 0) + tokens > A[b + 3] then return 3, A[b + 3], A[6] end
          if (m and r[m + 1] or 0) + tokens > A[b + 4] then return 4, A[b + 4], A[7] end
          if (d and r[d + 2] or 0) + cost > A[b + 5] then return 5, A[b + 5], A[6] end
          if (m and r[m + 2] or 0) + cost > A[b + 6] then return 6, A[b + 6], A[7] end
          return nil
        end

        -- Appends {requests limit, remaining, reset ms, tokens limit, remaining, reset ms} (limit -1: none) to out.
        local function windowState(out, s, added)
          local n = #out
          out[n + 1], out[n + 2], out[n + 3], out[n + 4], out[n + 5], out[n + 6] = -1, 0, 0, -1, 0, 0
          if not s then return end
          local r, rpm, tpm = s.r, A[s.limits], A[s.limits + 1]
          if rpm == rpm then
            local reset = 0
            if r[N] >= rpm then
              reset = tonumber(redis.call('ZRANGE', s.win, r[N] - rpm, r[N] - rpm, 'WITHSCORES')[2]) + WINDOW - now
            end
            out[n + 1], out[n + 2], out[n + 3] = rpm, math.max(rpm - r[N], 0), reset
          end
          if tpm == tpm then
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
            out[n + 4], out[n + 5], out[n + 6] = tpm, math.max(tpm - r[SUM], 0), reset
          end
        end

        """;
}
