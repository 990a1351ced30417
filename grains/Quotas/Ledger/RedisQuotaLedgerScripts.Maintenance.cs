namespace Parley.Grains.Quotas.Ledger;

internal static partial class RedisQuotaLedgerScripts
{
    /// <summary>The end of <see cref="Common"/>: releasing expired reservations and trimming the windows, done only
    /// when a scope's record says something is due (two or three comparisons per scope otherwise).</summary>
    private const string Maintenance = """
        -- One function, so that a call with nothing due does not even create the helpers it needs.
        local function upkeep(s)
          local r = s.r
          if r[LIVE] > 0 and now >= r[NEXT] then
            if s == U then
              -- Reservations past their expiry give back what they reserved and leave the user's in-flight set. A
              -- key's set drops them when that key is next used (its earliest expiry says so).
              while true do
                local expired = redis.call('ZRANGEBYSCORE', U.inflight, '-inf', now, 'LIMIT', 0, CHUNK)
                if #expired == 0 then break end
                local fields = {}
                for i = 1, #expired do fields[i] = 'r:' .. expired[i] end
                local raws = redis.call('HMGET', H, unpack(fields))
                for i = 1, #expired do
                  if raws[i] then
                    local t, c, _, d, m, at = struct.unpack(RESERVATION, raws[i])
                    local kid = string.sub(raws[i], at)
                    addToPeriods(U, d, m, -t, -c)
                    local ks = hasKey and kid == keyId and K or nil
                    if not ks and kid ~= '' then
                      if others[kid] == nil then
                        local raw = redis.call('HGET', H, 'k:' .. kid)
                        others[kid] = raw and {field = 'k:' .. kid, r = {struct.unpack(RECORD, raw)}} or false
                      end
                      ks = others[kid] or nil
                    end
                    if ks then addToPeriods(ks, d, m, -t, -c) end
                  end
                  released[expired[i]] = true
                end
                redis.call('HDEL', H, unpack(fields))
                redis.call('ZREM', U.inflight, unpack(expired))
              end
            else
              redis.call('ZREMRANGEBYSCORE', s.inflight, '-inf', now)
            end
            -- Counted again rather than decremented: exact even if the set vanished (the sentinel is not counted).
            r[LIVE] = redis.call('ZCOUNT', s.inflight, '-inf', '(+inf')
            r[NEXT] = r[LIVE] > 0 and tonumber(redis.call('ZRANGE', s.inflight, 0, 0, 'WITHSCORES')[2]) or 0
            s.dirty = true
          end

          -- Cuts the entries at or before the cutoff (a prefix of the set, members "tokens:id"), reading a few more
          -- than one usually leaves per call; returns how many, their tokens, and the lowest score left (nil: empty).
          local cutoff = now - WINDOW
          local function cut(key)
            local removed, amount, start, size = 0, 0, 0, 2
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
          if r[N] > 0 and r[OLD] <= cutoff then
            local removed, amount, oldest = cut(s.win)
            r[SUM] = r[SUM] - amount
            if oldest then r[N], r[OLD] = r[N] - removed, oldest else r[N], r[OLD] = 0, 0 end
            s.dirty = true
          end
          if r[LATE] > 0 then
            local removed, amount, oldest = cut(s.late)
            if removed > 0 or not oldest then
              r[SUM], r[LATE], s.dirty = r[SUM] - amount, oldest and r[LATE] - removed or 0, true
            end
          end
          -- Both sets empty: nothing is in the window, whatever the sum said.
          if r[N] == 0 and r[LATE] == 0 and r[SUM] ~= 0 then r[SUM], s.dirty = 0, true end
        end

        -- The user first: its releases may give back to the key's record.
        for i = 1, #scopes do
          local r = scopes[i].r
          if r[LIVE] > 0 and now >= r[NEXT] or r[N] > 0 and r[OLD] <= now - WINDOW or r[LATE] > 0 or r[N] == 0 and r[SUM] ~= 0 then
            upkeep(scopes[i])
          end
        end

        """;
}
