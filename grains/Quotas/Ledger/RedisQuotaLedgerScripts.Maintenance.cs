namespace Parley.Grains.Quotas.Ledger;

internal static partial class RedisQuotaLedgerScripts
{
    /// <summary>The end of <see cref="Common"/>: releasing, trimming, the keys' expiry and <c>finish</c>, then the
    /// step every script starts with (nothing but two comparisons per scope when nothing is due).</summary>
    private const string Maintenance = """
        -- Reservations past their expiry give back what they reserved and leave the user's in-flight set. A key's set
        -- drops them when that key is next used (its earliest expiry says so).
        local function release()
          while true do
            local expired = redis.call('ZRANGEBYSCORE', U.inflight, '-inf', now, 'LIMIT', 0, CHUNK)
            if #expired == 0 then break end
            local fields = {}
            for i = 1, #expired do fields[i] = 'r:' .. expired[i] end
            local raws = redis.call('HMGET', H, unpack(fields))
            for i = 1, #expired do
              if raws[i] then
                local res = parse(raws[i])
                addToPeriods(U, res, -res.tokens, -res.cost)
                local ks = keyScope(res.kid)
                if ks then addToPeriods(ks, res, -res.tokens, -res.cost) end
              end
              released[expired[i]] = true
            end
            redis.call('HDEL', H, unpack(fields))
            redis.call('ZREM', U.inflight, unpack(expired))
          end
          reread(U)
        end

        local function trim(s)
          local r, cutoff = s.r, now - WINDOW
          if r[N] > 0 and r[OLD] <= cutoff then
            local removed, amount, oldest = cut(s.win, cutoff)
            r[SUM] = r[SUM] - amount
            if oldest then r[N], r[OLD] = r[N] - removed, oldest else r[N], r[OLD] = 0, 0 end
            s.dirty = true
          end
          if r[LATE] > 0 then
            local removed, amount, oldest = cut(s.late, cutoff)
            if removed > 0 or not oldest then
              r[SUM], r[LATE], s.dirty = r[SUM] - amount, oldest and r[LATE] - removed or 0, true
            end
          end
          -- Both sets empty: nothing is in the window, whatever the sum said.
          if r[N] == 0 and r[LATE] == 0 and r[SUM] ~= 0 then r[SUM], s.dirty = 0, true end
        end

        -- Before a call adds to the scope's window or late set: they must live one window more, plus the margin.
        local function ensure(s)
          if s.r[HORIZON] < now + WINDOW + MARGIN then
            s.ttl = WINDOW + MARGIN + SLACK
            s.r[HORIZON], s.dirty = now + s.ttl, true
          end
        end

        -- A set this call creates (it was empty, so Redis had deleted it) gets the rest of the scope's horizon.
        local function created(s, key)
          s.created = s.created or {}
          s.created[#s.created + 1] = key
        end

        local function finish(result)
          -- Whatever creates the state hash gives it its expiry.
          if U.fresh and (U.dirty or (hasKey and K.dirty) or reservation) then U.extend = true end
          local args, n = {}, 0
          for _, s in ipairs(scopes) do
            if s.extend then s.r[STATE], s.dirty = now + tonumber(ARGV[6]), true end
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
          for _, s in ipairs(scopes) do
            if s.extend then
              redis.call('ZADD', s.inflight, '+inf', '')
              redis.call('PEXPIRE', s.inflight, ARGV[6])
              if s == U then redis.call('PEXPIRE', H, ARGV[6]) end
            end
            if s.ttl then
              if s.r[N] > 0 then redis.call('PEXPIRE', s.win, s.ttl) end
              if s.r[LATE] > 0 then redis.call('PEXPIRE', s.late, s.ttl) end
            elseif s.created then
              for _, k in ipairs(s.created) do redis.call('PEXPIRE', k, s.r[HORIZON] - now) end
            end
          end
          return result
        end

        if U.r[LIVE] > 0 and now >= U.r[NEXT] then release() end
        if hasKey and K.r[LIVE] > 0 and now >= K.r[NEXT] then
          redis.call('ZREMRANGEBYSCORE', K.inflight, '-inf', now)
          reread(K)
        end
        trim(U)
        if hasKey then trim(K) end

        """;
}
