namespace Parley.Grains.Quotas.Ledger;

internal static partial class RedisQuotaLedgerScripts
{
    /// <summary>Shared by every script: reads the scope records (and the call's reservation) with one HMGET, brings
    /// them up to date (<see cref="Maintenance"/>), and <c>finish</c>, which writes back whatever changed with one HSET
    /// and keeps the keys' expiry.
    /// <para>A scope record (the user's, or one key's) is <c>struct.pack(RECORD, …)</c> of: [1] entries in the window
    /// set, [2] tokens in the window and late sets together, [3] the window set's lowest score, [4] entries in the late
    /// set, [5] reservations in the in-flight set, [6] no later than their earliest expiry, [7] (ARGV ms) until when the
    /// window and late sets live, [8] until when the state hash and in-flight set live; then three day slots at [9] and
    /// three month slots at [21], each (name, tokens, micro-USD, alert bits). Counts and bounds let the common call read
    /// no set at all: a set is read only when its oldest entry may have left the window ([3]) or a reservation may have
    /// expired ([6]). Binary packing because string.match and string.format of the numbers cost more than the Redis
    /// calls do. A reservation is <c>struct.pack(RESERVATION, tokens, micro-USD, admitted ms, day, month)</c> followed
    /// by its key id (as the tail, so that any id fits). A field <c>g:&lt;id&gt;</c> marks an id released before its
    /// admission ran (value: until when the mark matters); the admission, should it still arrive, refuses itself.</para>
    /// <para>Periods: a call charges its own day and month, and settles or releases into the reservation's when that is
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
        local A = {struct.unpack('<ddddddddddddddddddddd', ARGV[7])}
        local now, STATE_TTL, tokens, cost, ttl = A[1], A[2], A[3], A[4], A[5]
        local WINDOW, MARGIN, SLACK, CHUNK = 60000, 60000, 120000, 500
        local RECORD, RESERVATION = '<ddddddddsdddsdddsdddsdddsdddsddd', '<dddss'
        local N, SUM, OLD, LATE, LIVE, NEXT, HORIZON, STATE, DAYS, MONTHS = 1, 2, 3, 4, 5, 6, 7, 8, 9, 21
        local THRESHOLDS, BITS = {50, 80, 100}, {1, 2, 4, 8, 16, 32}
        local function I(n) return string.format('%d', n) end
        local H = KEYS[1]
        local today, yesterday, month, lastMonth, keyId, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local hasKey = keyId ~= ''
        -- limits: where the scope's limits start in A (rpm, tpm, concurrency, day tokens, month tokens, day and month
        -- money); an unset one is NaN, which every comparison fails, so it never refuses.
        local U = {win = KEYS[2], late = KEYS[3], inflight = KEYS[4], field = 'u', scope = 0, limits = 8}
        local K = hasKey and {win = KEYS[5], late = KEYS[6], inflight = KEYS[7], field = 'k:' .. keyId, scope = 1, limits = 15} or nil
        local scopes = hasKey and {U, K} or {U}
        local others, alerts, released, reservation = {}, {}, {}, nil
        local state = hasKey and redis.call('HMGET', H, 'r:' .. id, 'u', K.field, 'g:' .. id) or redis.call('HMGET', H, 'r:' .. id, 'u', 'g:' .. id)
        -- The id was released before its admission ran (its caller stopped waiting): the admission must refuse itself.
        local gone = state[#scopes + 2]

        for i = 1, #scopes do
          local s, raw = scopes[i], state[i + 1]
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

        -- Adds to a scope's counters of a reservation's day and month, while they are the current or previous one.
        local function addToPeriods(s, day, mon, dTok, dUsd)
          local r = s.r
          local d = (day == today or day == yesterday) and slotOf(r, DAYS, day)
          local m = (mon == month or mon == lastMonth) and slotOf(r, MONTHS, mon)
          if d then r[d + 1], r[d + 2] = r[d + 1] + dTok, r[d + 2] + dUsd end
          if m then r[m + 1], r[m + 2] = r[m + 1] + dTok, r[m + 2] + dUsd end
          s.dirty = true
          return d, m
        end

        -- Before a call adds to the scope's window or late set: they must live one window more, plus the margin.
        local function ensure(s)
          if s.r[HORIZON] < now + WINDOW + MARGIN then
            s.ttl = WINDOW + MARGIN + SLACK
            s.r[HORIZON], s.dirty = now + s.ttl, true
          end
        end

        local function finish(result)
          -- Whatever creates the state hash gives it its expiry.
          if U.fresh and (U.dirty or hasKey and K.dirty or reservation) then U.extend = true end
          local args, n = {}, 0
          for i = 1, #scopes do
            local s = scopes[i]
            if s.extend then s.r[STATE], s.dirty = now + STATE_TTL, true end
            if s.dirty then
              n = n + 2
              args[n - 1], args[n] = s.field, struct.pack(RECORD, unpack(s.r, 1, 32))
            end
          end
          for _, o in pairs(others) do
            if o and o.dirty then
              n = n + 2
              args[n - 1], args[n] = o.field, struct.pack(RECORD, unpack(o.r, 1, 32))
            end
          end
          if reservation then
            n = n + 2
            args[n - 1], args[n] = 'r:' .. id, reservation
          end
          if n > 0 then redis.call('HSET', H, unpack(args)) end
          for i = 1, #scopes do
            local s = scopes[i]
            if s.extend then
              redis.call('ZADD', s.inflight, '+inf', '')
              redis.call('PEXPIRE', s.inflight, STATE_TTL)
              if s == U then redis.call('PEXPIRE', H, STATE_TTL) end
            end
            -- A window or late set this call created (it was empty, so Redis had deleted it) gets the horizon's rest.
            if s.ttl then
              if s.r[N] > 0 then redis.call('PEXPIRE', s.win, s.ttl) end
              if s.r[LATE] > 0 then redis.call('PEXPIRE', s.late, s.ttl) end
            else
              if s.newWin then redis.call('PEXPIRE', s.win, s.r[HORIZON] - now) end
              if s.newLate then redis.call('PEXPIRE', s.late, s.r[HORIZON] - now) end
            end
          end
          return result
        end

        """ + Maintenance;
}
