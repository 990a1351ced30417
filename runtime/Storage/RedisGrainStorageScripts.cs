namespace Parley.Runtime.Storage;

/// <summary>Lua scripts of <see cref="RedisGrainStorage"/>. Write and Clear return <c>{1}</c> on success, or <c>{0}</c> /
/// <c>{0, storedEtag}</c> when the caller's ETag (ARGV[1], empty = "the record must not exist") does not match.</summary>
internal static class RedisGrainStorageScripts
{
    public const string EtagField = "etag";
    public const string DataField = "data";

    /// <summary>KEYS[1] state hash; ARGV[1] expected ETag, ARGV[2] new ETag, ARGV[3] serialised state.</summary>
    public const string Write = """
        local current = redis.call('HGET', KEYS[1], 'etag')
        local expected = ARGV[1]
        if (expected == '' and current) or (expected ~= '' and current ~= expected) then
          if current then return {0, current} end
          return {0}
        end
        redis.call('HSET', KEYS[1], 'etag', ARGV[2], 'data', ARGV[3])
        return {1}
        """;

    /// <summary>KEYS[1] state hash; ARGV[1] expected ETag. Clearing an absent record with an empty ETag succeeds.</summary>
    public const string Clear = """
        local current = redis.call('HGET', KEYS[1], 'etag')
        local expected = ARGV[1]
        if expected == '' then
          if current then return {0, current} end
          return {1}
        end
        if current ~= expected then
          if current then return {0, current} end
          return {0}
        end
        redis.call('DEL', KEYS[1])
        return {1}
        """;

    /// <summary>KEYS[1] state hash; ARGV[1] the caller's ETag (empty = "the caller holds no record"). Returns <c>{}</c>
    /// when the record is absent, <c>{etag}</c> when it equals the caller's (so an unchanged state costs no payload on
    /// the wire), else <c>{etag, data}</c> read in the same step.</summary>
    public const string ReadIfChanged = """
        local current = redis.call('HGET', KEYS[1], 'etag')
        if not current then return {} end
        if current == ARGV[1] then return {current} end
        return {current, redis.call('HGET', KEYS[1], 'data')}
        """;
}
