using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Silo.Auth.Signing;

/// <summary>One <c>SET NX PX</c> per signed request: <c>{prefix:sig/&lt;key id&gt;}:nonce:&lt;nonce&gt;</c>, expiring
/// when the nonce could no longer pass the timestamp window anyway.</summary>
internal sealed class RedisNonceStore(IRedisConnection connection) : INonceStore
{
    public async ValueTask<bool> TryClaimAsync(string keyId, string nonce, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var db = (await connection.GetMultiplexerAsync(cancellationToken)).GetDatabase();
        return await db.StringSetAsync(connection.Key("sig/" + keyId, "nonce:" + nonce), RedisValue.EmptyString, lifetime, When.NotExists);
    }
}
