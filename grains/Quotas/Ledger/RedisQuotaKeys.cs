using Parley.Runtime.Redis;
using StackExchange.Redis;

namespace Parley.Grains.Quotas.Ledger;

/// <summary>The key list of one ledger call. Every key has the hash tag <c>user:&lt;userId&gt;</c>, so all of them
/// (the user's and its keys' counters) live in one slot and one script may touch them all, also on Redis Cluster:
/// <list type="bullet">
/// <item><c>q:res</c> zset reservation id → expiry ms (the user's in-flight set); <c>q:resdata</c> hash reservation
/// id → "tokens:micros:admittedMs:day:month:keyId".</item>
/// <item><c>q:u:req</c> / <c>q:k:&lt;keyId&gt;:req</c> zset reservation id → admission ms (requests window);
/// <c>…:tok</c> zset (token window entries), <c>…:tokamt</c> hash entry → tokens, <c>…:toksum</c> running sum;
/// <c>q:k:&lt;keyId&gt;:inflight</c> zset reservation id → expiry ms.</item>
/// <item><c>q:d:&lt;yyyy-MM-dd&gt;</c> and <c>q:m:&lt;yyyy-MM&gt;</c> hashes: fields <c>u:tok</c>, <c>u:usd</c>,
/// <c>k:&lt;keyId&gt;:tok</c>, <c>k:&lt;keyId&gt;:usd</c> and the alert markers <c>alert:&lt;scope&gt;:&lt;kind&gt;:&lt;percent&gt;</c>
/// (markers are fields of the period's hash rather than keys of their own, so they need no key the script was not
/// given and vanish with their period).</item>
/// </list></summary>
internal static class RedisQuotaKeys
{
    public const int Count = 15;

    public static string HashTag(string userId) => string.Concat("user:", userId);

    public static RedisKey[] Build(IRedisConnection connection, string userId, string keyId, in QuotaPeriods periods)
    {
        var tag = HashTag(userId);
        var key = string.Concat("q:k:", keyId, ":");
        return
        [
            connection.Key(tag, "q:res"),
            connection.Key(tag, "q:resdata"),
            connection.Key(tag, "q:u:req"),
            connection.Key(tag, "q:u:tok"),
            connection.Key(tag, "q:u:tokamt"),
            connection.Key(tag, "q:u:toksum"),
            connection.Key(tag, key + "req"),
            connection.Key(tag, key + "tok"),
            connection.Key(tag, key + "tokamt"),
            connection.Key(tag, key + "toksum"),
            connection.Key(tag, key + "inflight"),
            connection.Key(tag, "q:d:" + periods.Day),
            connection.Key(tag, "q:d:" + periods.PreviousDay),
            connection.Key(tag, "q:m:" + periods.Month),
            connection.Key(tag, "q:m:" + periods.PreviousMonth),
        ];
    }
}
