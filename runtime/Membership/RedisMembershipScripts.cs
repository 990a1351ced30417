namespace Parley.Runtime.Membership;

/// <summary>Lua scripts of <see cref="RedisMembershipTable"/>. KEYS[1] is the cluster's hash. The <c>Version</c> field
/// holds the table version, which is also its ETag (versions only grow); a missing field is version 0. Each row field
/// holds <c>{"ETag":…,"Entry":{…}}</c>.</summary>
internal static class RedisMembershipScripts
{
    public const string VersionField = "Version";

    /// <summary>ARGV: silo id, expected version ETag, new version, row JSON. Returns 1, or 0 on a conflict.</summary>
    public const string Insert = """
        local v = redis.call('HGET', KEYS[1], 'Version') or '0'
        if v ~= ARGV[2] or tonumber(ARGV[3]) <= tonumber(v) then return 0 end
        if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'Version', ARGV[3], ARGV[1], ARGV[4])
        return 1
        """;

    /// <summary>ARGV: silo id, expected version ETag, new version, row JSON, expected row ETag. Returns 1, or 0.</summary>
    public const string Update = """
        local v = redis.call('HGET', KEYS[1], 'Version') or '0'
        if v ~= ARGV[2] or tonumber(ARGV[3]) <= tonumber(v) then return 0 end
        local row = redis.call('HGET', KEYS[1], ARGV[1])
        if not row or cjson.decode(row).ETag ~= ARGV[5] then return 0 end
        redis.call('HSET', KEYS[1], 'Version', ARGV[3], ARGV[1], ARGV[4])
        return 1
        """;

    /// <summary>ARGV: silo id, IAmAlive time (ISO 8601). Changes only that time and keeps the row's ETag, so a
    /// heartbeat never makes a concurrent status change conflict. Returns 1, or 0 if the row does not exist.</summary>
    public const string IAmAlive = """
        local row = redis.call('HGET', KEYS[1], ARGV[1])
        if not row then return 0 end
        local r = cjson.decode(row)
        r.Entry.IAmAliveTime = ARGV[2]
        redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(r))
        return 1
        """;

    /// <summary>ARGV: pairs of (silo id, row JSON as read). Deletes each row that is still exactly as read.</summary>
    public const string DeleteIfUnchanged = """
        local n = 0
        for i = 1, #ARGV, 2 do
          if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
            redis.call('HDEL', KEYS[1], ARGV[i])
            n = n + 1
          end
        end
        return n
        """;
}
