namespace Parley.Silo.Auth.Store;

/// <summary>Lua scripts of the Redis identity store. Every key lives under the one hash tag <c>{prefix:auth}</c>,
/// so each script is atomic on Redis Cluster too; scripts that reach a key by id build its name from a prefix
/// passed in ARGV, which stays in that same slot.</summary>
internal static class RedisIdentityScripts
{
    /// <summary>KEYS: user, users, seq. ARGV: id, name, created_at. Returns 1 if created, 0 if the id exists.</summary>
    public const string CreateUser = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], 'id', ARGV[1], 'name', ARGV[2], 'created_at', ARGV[3], 'disabled', '0')
        redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
        return 1
        """;

    /// <summary>KEYS: key, secret-hash index, owner user, owner's key list, seq.
    /// ARGV: id, user_id, name, created_at, hint, admin (0|1), secret hash, sealed signing secret (empty: none). Returns a
    /// <see cref="CreateKeyResult"/> name.</summary>
    public const string CreateKey = """
        if ARGV[6] == '0' then
          local disabled = redis.call('HGET', KEYS[3], 'disabled')
          if not disabled then return 'UserNotFound' end
          if disabled == '1' then return 'UserDisabled' end
        end
        if redis.call('HEXISTS', KEYS[2], ARGV[7]) == 1 or redis.call('EXISTS', KEYS[1]) == 1 then return 'DuplicateSecret' end
        redis.call('HSET', KEYS[1], 'id', ARGV[1], 'user_id', ARGV[2], 'name', ARGV[3], 'created_at', ARGV[4], 'revoked', '0', 'hint', ARGV[5], 'admin', ARGV[6])
        if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'signing', ARGV[8]) end
        redis.call('HSET', KEYS[2], ARGV[7], ARGV[1])
        redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[5]), ARGV[1])
        return 'Created'
        """;

    /// <summary>KEYS: key. Returns the key's fields after revoking, or nil if it does not exist.</summary>
    public const string RevokeKey = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return false end
        redis.call('HSET', KEYS[1], 'revoked', '1')
        return redis.call('HGETALL', KEYS[1])
        """;

    /// <summary>KEYS: user, user's key list. ARGV: key name prefix. Disables the user and revokes every key it has, as
    /// one step: a key created concurrently is either revoked here or refused by CreateKey.</summary>
    public const string DisableUser = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return false end
        redis.call('HSET', KEYS[1], 'disabled', '1')
        for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
          redis.call('HSET', ARGV[1] .. id, 'revoked', '1')
        end
        return redis.call('HGETALL', KEYS[1])
        """;

    /// <summary>KEYS: secret-hash index. ARGV: secret hash, key name prefix. One round trip for an authentication miss.</summary>
    public const string FindKeyBySecretHash = """
        local id = redis.call('HGET', KEYS[1], ARGV[1])
        if not id then return false end
        return redis.call('HGETALL', ARGV[2] .. id)
        """;
}
