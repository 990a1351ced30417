namespace Parley.Grains.Quotas.Ledger;

internal static partial class RedisQuotaLedgerScripts
{
    /// <summary>Shared by every script: reads the scope records (and the call's reservation) with one HMGET, brings
    /// them up to date (expired reservations released, entries older than the window cut) and <c>finish</c>, which
    /// writes back whatever changed with one HSET and keeps the keys' expiry.
    /// <para>A scope record (the user's, or one key's) is <c>struct.pack(RECORD, …)</c> of: [1] entries in the window
    /// set, [2] tokens in the window and late sets together, [3] the window set's lowest score, [4] entries in the late
    /// set, [5] reservations in the in-flight set, [6] no later than their earliest expiry, [7] (ARGV ms) until when the
    /// window and late sets live, [8] until when the state hash and in-flight set live; then three day slots at [9] and
    /// three month slots at [21], each (name, tokens, micro-USD, alert bits). Counts and bounds let the common call read
    /// no set at all: a set is read only when its oldest entry may have left the window ([3]) or a reservation may have
    /// expired ([6]). Binary packing because string.match/format of the numbers cost more than the Redis calls.</para>
    /// <para>Periods: a call charges its own day and month and settles or releases into the reservation's when that is
    /// the current or previous one (as the calendar hashes of earlier versions did); the three newest of each are kept,
    /// so a silo whose clock is a little behind still finds its previous day. Alert bits: 1, 2, 4 the tokens budget's
    /// 50, 80, 100 %; 8, 16, 32 the money budget's.</para>
    /// <para>Expiry: the state hash and the in-flight sets (which keep a member '' at +inf so that they are not deleted
    /// and recreated without expiry between reservations) live until the end of the newest period charged plus the
    /// grace, and are extended only when a reservation would outlive that or a newer period begins. The window sets
    /// live a few minutes past their newest entry, renewed when fewer than <c>MARGIN</c> ms beyond one window remain
    /// (then <c>SLACK</c> more, so an active user renews about every two minutes); <c>MARGIN</c> also absorbs clock
    /// differences between silos, as time comes only from ARGV while TTLs run on the server's clock.</para></summary>
    private const string Common = """
        local now = tonumber(ARGV[1])
        local WINDOW, MARGIN, SLACK, CHUNK = 60000, 60000, 120000, 500
        local RECORD = '<ddddddddsdddsdddsdddsdddsdddsddd'
        local N, SUM, OLD, LATE, LIVE, NEXT, HORIZON, STATE, DAYS, MONTHS = 1, 2, 3, 4, 5, 6, 7, 8, 9, 21
        local THRESHOLDS, BITS = {50, 80, 100}, {1, 2, 4, 8, 16, 32}
        local function I(n) return string.format('%d', n) end
        local H = KEYS[1]
        local today, yesterday, month, lastMonth = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        local keyId, id = ARGV[7], ARGV[8]
        local hasKey = keyId ~= ''
        local U = {win = KEYS[2], late = KEYS[3], inflight = KEYS[4], field = 'u', scope = 0}
        local K = hasKey and {win = KEYS[5], late = KEYS[6], inflight = KEYS[7], field = 'k:' .. keyId, scope = 1} or nil
        local scopes = hasKey and {U, K} or {U}
        local others, alerts, released, reservation = {}, {}, {}, nil
        local state = hasKey and redis.call('HMGET', H, 'r:' .. id, 'u', K.field) or redis.call('HMGET', H, 'r:' .. id, 'u')

        for i, s in ipairs(scopes) do
          local raw = state[i + 1]
          if raw then
            s.r = {struct.unpack(RECORD, raw)}
          else
            s.r, s.fresh = {0, 0, 0, 0, 0, 0, 0, 0, '', 0, 0, 0, '', 0, 0, 0, '', 0, 0, 0, '', 0, 0, 0, '', 0, 0, 0, '', 0, 0, 0}, true
            -- No record: a new scope, or its record expired with the state hash; sets it may have left behind hold
            -- nothing that still counts, and the counts must describe them exactly.
            redis.call('DEL', s.win, s.late, s.inflight)
          end
        end

        local function slotOf(r, base, name)
          if r[base] == name then return base elseif r[base + 4] == name then return base + 4 elseif r[base + 8] == name then return base + 8 end
          return nil
        end

        -- A slot for a period the record has none for, in place of the oldest; nil when all three are newer (a clock
        -- days behind). Opening the newest period extends the state's expiry to that period's end plus the grace.
        local function openSlot(s, base, name)
          local r, at, newest = s.r, nil, true
          -- The empty name sorts before every period, so an unused slot is taken first.
          for i = base, base + 8, 4 do
            if r[i] > name then newest = false end
            if not at or r[i] < r[at] then at = i end
          end
          if r[at] > name then return nil end
          r[at], r[at + 1], r[at + 2], r[at + 3] = name, 0, 0, 0
          s.dirty = true
          if newest then s.extend = true end
          return at
        end

        -- A reservation: "tokens:micros:admittedMs:day:month:keyId" (tokens kept as text: it names the window entry).
        local function parse(raw)
          local t, c, at, d, m, kid = string.match(raw, '^(%-?%d+):(%-?%d+):(%-?%d+):([^:]*):([^:]*):(.*)$')
          return {tok = t, tokens = tonumber(t), cost = tonumber(c), at = at, day = d, month = m, kid = kid}
        end

        -- Adds to a scope's counters of the reservation's day and month, while they are the current or previous one.
        local function addToPeriods(s, res, tokens, cost)
          local d = (res.day == today or res.day == yesterday) and slotOf(s.r, DAYS, res.day)
          local m = (res.month == month or res.month == lastMonth) and slotOf(s.r, MONTHS, res.month)
          if d then s.r[d + 1], s.r[d + 2] = s.r[d + 1] + tokens, s.r[d + 2] + cost end
          if m then s.r[m + 1], s.r[m + 2] = s.r[m + 1] + tokens, s.r[m + 2] + cost end
          s.dirty = true
          return d, m
        end

        -- The scope a released reservation's key gives back to: the call's key, or another key's record.
        local function keyScope(kid)
          if kid == '' then return nil end
          if hasKey and kid == keyId then return K end
          if others[kid] == nil then
            local raw = redis.call('HGET', H, 'k:' .. kid)
            others[kid] = raw and {field = 'k:' .. kid, r = {struct.unpack(RECORD, raw)}} or false
          end
          return others[kid] or nil
        end

        -- The in-flight count and earliest expiry, read again after members left the set (the sentinel excluded).
        local function reread(s)
          s.r[LIVE] = redis.call('ZCOUNT', s.inflight, '-inf', '(+inf')
          s.r[NEXT] = s.r[LIVE] > 0 and tonumber(redis.call('ZRANGE', s.inflight, 0, 0, 'WITHSCORES')[2]) or 0
          s.dirty = true
        end

        -- Cuts the entries at or before the cutoff (a prefix of the set, members "tokens:id"), reading a few more than
        -- one usually leaves per call; returns how many, their tokens, and the lowest score left (nil: set empty).
        local function cut(key, cutoff)
          local removed, amount, start, size = 0, 0, 0, 4
          while true do
            local e = redis.call('ZRANGE', key, start, start + size - 1, 'WITHSCORES')
            for i = 1, #e, 2 do
              local score = tonumber(e[i + 1])
              if score > cutoff then
                if removed > 0 then redis.call('ZREMRANGEBYRANK', key, 0, removed - 1) end
                return removed, amount, score
              end
              removed, amount = removed + 1, amount + tonumber(string.match(e[i], '^%d+'))
            end
            if #e < 2 * size then break end
            start, size = start + size, math.min(size * 4, CHUNK)
          end
          if removed > 0 then redis.call('DEL', key) end
          return removed, amount, nil
        end

        """ + Maintenance;
}
