namespace Parley.Grains.Conversations.Transcript;

/// <summary>The transcript's Lua scripts, over the keys of one conversation's hash slot: KEYS[1] the log (a list; entry
/// n at index n − 1, a removed entry an empty string), KEYS[2] the id index (hash: item id → n), KEYS[3] the turn index
/// (hash: turn key → n of the entry that ended the turn), KEYS[4] the marks (hash: ctx → the working context's first
/// entry, used → the last use in Unix ms). Each call is one EVALSHA. (Reading the working context is not a script: see
/// <see cref="RedisTranscriptStore.ReadTailAsync"/>.)</summary>
internal static class RedisTranscriptScripts
{
    /// <summary>KEYS[5] is the conversation's grain state: a transcript only grows while its conversation exists, so a
    /// second activation that missed a deletion (possible briefly while membership changes) cannot revive it.
    /// ARGV: turn key ('' none), context start, used at, then id₁, entry₁, id₂, entry₂, …
    /// Returns {first appended n}, {0, n, the entry that ended that turn} for a turn key stored before, or {-1} when
    /// the conversation is gone.</summary>
    public const string Append = """
        if redis.call('EXISTS', KEYS[5]) == 0 then return {-1} end
        local key = ARGV[1]
        if key ~= '' then
          local stored = redis.call('HGET', KEYS[3], key)
          if stored then
            local n = tonumber(stored)
            return {0, n, redis.call('LINDEX', KEYS[1], n - 1)}
          end
        end
        local first = redis.call('LLEN', KEYS[1]) + 1
        local n = first
        for i = 4, #ARGV, 2 do
          redis.call('RPUSH', KEYS[1], ARGV[i + 1])
          redis.call('HSET', KEYS[2], ARGV[i], n)
          n = n + 1
        end
        if key ~= '' then
          redis.call('HSET', KEYS[3], key, n - 1)
        end
        redis.call('HSET', KEYS[4], 'ctx', ARGV[2], 'used', ARGV[3])
        return {first}
        """;

    /// <summary>KEYS[1] log, KEYS[2] ids. ARGV: after id ('' none), 1 ascending | -1 descending, limit.
    /// Returns {-1} when the cursor names no entry, else {has more (0|1), n₁, entry₁, n₂, entry₂, …}.</summary>
    public const string List = """
        local step = tonumber(ARGV[2])
        local limit = tonumber(ARGV[3])
        local last = redis.call('LLEN', KEYS[1])
        local n
        if ARGV[1] == '' then
          n = (step == 1) and 1 or last
        else
          local after = redis.call('HGET', KEYS[2], ARGV[1])
          if not after then return {-1} end
          n = tonumber(after) + step
        end
        local out = {0}
        local found = 0
        -- Read in chunks of the page size plus one (removed entries are skipped, so a chunk may not fill the page).
        while n >= 1 and n <= last do
          local chunk = limit + 1
          local from, to
          if step == 1 then from, to = n, math.min(last, n + chunk - 1) else from, to = math.max(1, n - chunk + 1), n end
          local entries = redis.call('LRANGE', KEYS[1], from - 1, to - 1)
          local i, stop, di
          if step == 1 then i, stop, di = 1, #entries, 1 else i, stop, di = #entries, 1, -1 end
          while (di == 1 and i <= stop) or (di == -1 and i >= stop) do
            local e = entries[i]
            if e ~= '' then
              if found == limit then
                out[1] = 1
                return out
              end
              found = found + 1
              out[#out + 1] = from + i - 1
              out[#out + 1] = e
            end
            i = i + di
          end
          if step == 1 then n = to + 1 else n = from - 1 end
        end
        return out
        """;

    /// <summary>KEYS[1] log, KEYS[2] ids. ARGV[1] item id. Returns {n, entry} or {}.</summary>
    public const string Get = """
        local n = redis.call('HGET', KEYS[2], ARGV[1])
        if not n then return {} end
        return {tonumber(n), redis.call('LINDEX', KEYS[1], tonumber(n) - 1)}
        """;

    /// <summary>KEYS[1] log, KEYS[2] ids. ARGV[1] item id. Returns 1 when removed, 0 when no entry has the id.</summary>
    public const string Remove = """
        local n = redis.call('HGET', KEYS[2], ARGV[1])
        if not n then return 0 end
        redis.call('LSET', KEYS[1], tonumber(n) - 1, '')
        redis.call('HDEL', KEYS[2], ARGV[1])
        return 1
        """;

    /// <summary>KEYS as for <see cref="Append"/>. Returns {ctx, used, entry count, entries…, turn key₁, n₁, …}.</summary>
    public const string Export = """
        local marks = redis.call('HMGET', KEYS[4], 'ctx', 'used')
        local entries = redis.call('LRANGE', KEYS[1], 0, -1)
        local out = {tonumber(marks[1] or '1'), tonumber(marks[2] or '0'), #entries}
        for i = 1, #entries do out[#out + 1] = entries[i] end
        local turns = redis.call('HGETALL', KEYS[3])
        for i = 1, #turns do out[#out + 1] = turns[i] end
        return out
        """;

    /// <summary>KEYS as for <see cref="Append"/>. ARGV: ctx, used, entry count, entries…, then (id, n) pairs for the id
    /// index, then (turn key, n) pairs. Replaces whatever was there.</summary>
    public const string Import = """
        redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
        local count = tonumber(ARGV[3])
        for i = 1, count do redis.call('RPUSH', KEYS[1], ARGV[3 + i]) end
        local i = 4 + count
        local ids = tonumber(ARGV[i])
        for j = 1, ids do redis.call('HSET', KEYS[2], ARGV[i + 2 * j - 1], ARGV[i + 2 * j]) end
        i = i + 1 + 2 * ids
        while i < #ARGV do
          redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
          i = i + 2
        end
        redis.call('HSET', KEYS[4], 'ctx', ARGV[1], 'used', ARGV[2])
        return 1
        """;
}
