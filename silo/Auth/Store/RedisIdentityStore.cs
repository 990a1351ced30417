using System.Globalization;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Silo.Auth.Store;

/// <summary>The identity store for a cluster. Layout, all under the hash tag <c>{prefix:auth}</c>:
/// <c>user:&lt;id&gt;</c> and <c>key:&lt;id&gt;</c> hashes, <c>users</c> and <c>user:&lt;id&gt;:keys</c> sorted sets (by
/// creation sequence <c>seq</c>), <c>admin:keys</c>, the index hash <c>key-hashes</c> (SHA-256 of secret → key id) and
/// the <c>bootstrap</c> claim.</summary>
internal sealed class RedisIdentityStore(IRedisConnection connection) : IIdentityStore
{
    private const string HashTag = "auth";
    private const string AdminOwner = "admin";

    private readonly RedisKey _users = connection.Key(HashTag, "users");
    private readonly RedisKey _sequence = connection.Key(HashTag, "seq");
    private readonly RedisKey _secretIndex = connection.Key(HashTag, "key-hashes");
    private readonly RedisKey _bootstrap = connection.Key(HashTag, "bootstrap");
    private readonly string _keyPrefix = connection.Key(HashTag, "key:");
    private readonly string _userPrefix = connection.Key(HashTag, "user:");

    public async Task<bool> CreateUserAsync(UserRecord user, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        var result = await db.ScriptEvaluateAsync(RedisIdentityScripts.CreateUser,
            [UserKey(user.Id), _users, _sequence],
            [user.Id, user.Name, user.CreatedAt]);
        return (int)result == 1;
    }

    public async Task<UserRecord?> GetUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        return ToUser(await db.HashGetAllAsync(UserKey(userId)));
    }

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        var ids = await db.SortedSetRangeByRankAsync(_users);
        var rows = await Task.WhenAll(ids.Select(id => db.HashGetAllAsync(UserKey(id!))));
        return rows.Select(ToUser).OfType<UserRecord>().ToList();
    }

    public async Task<UserRecord?> DisableUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        var result = await db.ScriptEvaluateAsync(RedisIdentityScripts.DisableUser,
            [UserKey(userId), UserKeysKey(userId)], [_keyPrefix]);
        return ToUser(ToEntries(result));
    }

    public async Task<CreateKeyResult> CreateKeyAsync(ApiKeyRecord key, string secretHash, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        var owner = key.IsAdmin ? AdminOwner : key.UserId;
        var result = await db.ScriptEvaluateAsync(RedisIdentityScripts.CreateKey,
            [KeyKey(key.Id), _secretIndex, UserKey(owner), UserKeysKey(owner), _sequence],
            [key.Id, key.UserId, key.Name, key.CreatedAt, key.Hint, key.IsAdmin ? "1" : "0", secretHash, key.SealedSigningSecret ?? ""]);
        return Enum.Parse<CreateKeyResult>((string)result!);
    }

    public async Task<ApiKeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        return ToKey(await db.HashGetAllAsync(KeyKey(keyId)));
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string userId, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        var ids = await db.SortedSetRangeByRankAsync(UserKeysKey(userId));
        var rows = await Task.WhenAll(ids.Select(id => db.HashGetAllAsync(KeyKey(id!))));
        return rows.Select(ToKey).OfType<ApiKeyRecord>().ToList();
    }

    public async Task<ApiKeyRecord?> RevokeKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        return ToKey(ToEntries(await db.ScriptEvaluateAsync(RedisIdentityScripts.RevokeKey, [KeyKey(keyId)])));
    }

    public async Task<ApiKeyRecord?> FindKeyBySecretHashAsync(string secretHash, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        var result = await db.ScriptEvaluateAsync(RedisIdentityScripts.FindKeyBySecretHash, [_secretIndex], [secretHash, _keyPrefix]);
        return ToKey(ToEntries(result));
    }

    public async Task<bool> TryClaimBootstrapAsync(string claimant, CancellationToken cancellationToken = default)
    {
        var db = await DatabaseAsync(cancellationToken);
        return await db.StringSetAsync(_bootstrap, claimant, when: When.NotExists);
    }

    private async ValueTask<IDatabase> DatabaseAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return (await connection.GetMultiplexerAsync(cancellationToken)).GetDatabase();
    }

    private RedisKey UserKey(string userId) => _userPrefix + userId;

    private RedisKey UserKeysKey(string userId) => _userPrefix + userId + ":keys";

    private RedisKey KeyKey(string keyId) => _keyPrefix + keyId;

    private static HashEntry[] ToEntries(RedisResult result)
    {
        if (result.IsNull)
        {
            return [];
        }
        var flat = (RedisResult[])result!;
        var entries = new HashEntry[flat.Length / 2];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new HashEntry((string)flat[2 * i]!, (string)flat[2 * i + 1]!);
        }
        return entries;
    }

    private static UserRecord? ToUser(HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }
        var fields = entries.ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        return new UserRecord(fields["id"], fields["name"], long.Parse(fields["created_at"], CultureInfo.InvariantCulture), fields["disabled"] == "1");
    }

    private static ApiKeyRecord? ToKey(HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }
        var fields = entries.ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        return new ApiKeyRecord(fields["id"], fields["user_id"], fields["name"], long.Parse(fields["created_at"], CultureInfo.InvariantCulture),
            fields["revoked"] == "1", fields["hint"], fields["admin"] == "1", fields.GetValueOrDefault("signing"));
    }
}
