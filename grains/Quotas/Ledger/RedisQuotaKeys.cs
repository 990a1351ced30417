using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Grains.Quotas.Ledger;

/// <summary>The key list of one ledger call. Every key has the hash tag <c>user:&lt;userId&gt;</c>, so all of them
/// (the user's and its keys' state) live in one slot and one script may touch them all, also on Redis Cluster:
/// <list type="bullet">
/// <item><c>q:s</c> hash, the user's state: field <c>u</c> the user's scope record, <c>k:&lt;keyId&gt;</c> each key's
/// (window counts, in-flight count, the last three days' and months' tokens, money and alert bits; see
/// <see cref="RedisQuotaLedgerScripts"/>), and <c>r:&lt;reservationId&gt;</c> →
/// "tokens:micros:admittedMs:day:month:keyId" for each reservation in flight. One HMGET reads everything a decision
/// needs from it and one HSET writes it back. It lives until the end of the newest month charged plus
/// <see cref="QuotaLedgerRules.PeriodGrace"/>, so late settlements and releases still find their periods.</item>
/// <item><c>q:u:win</c> / <c>q:k:&lt;keyId&gt;:win</c> zset, the per-minute window: member "tokens:reservationId",
/// score admission ms. It is both the requests window (its size) and the tokens window: the member carries the amount,
/// so trimming knows what leaves without another read (a settlement in the window replaces the member).</item>
/// <item><c>q:u:late</c> / <c>q:k:&lt;keyId&gt;:late</c> zset, tokens settled above the reservation after its window
/// entry had left: member "excess:reservationId", score settlement ms. Kept apart so that the window's size stays the
/// request count; usually absent.</item>
/// <item><c>q:res</c> / <c>q:k:&lt;keyId&gt;:inflight</c> zset reservation id → expiry ms: the user's and the key's
/// reservations in flight (concurrency, and which expire first), plus the member '' at +inf that keeps the set (and its
/// expiry) while nothing is in flight.</item>
/// </list>
/// Budgets and alert markers used to be per-period hashes (<c>q:d:&lt;day&gt;</c>, <c>q:m:&lt;month&gt;</c>); they are
/// now slots of the scope records, which saves a read and a write of each per decision.</summary>
internal static class RedisQuotaKeys
{
    public const int Count = 7;

    public static string HashTag(string userId) => string.Concat("user:", userId);

    /// <remarks>The periods are ARGV, not keys: their counters are in the state hash.</remarks>
    public static RedisKey[] Build(IRedisConnection connection, string userId, string keyId)
    {
        var tag = HashTag(userId);
        var key = string.Concat("q:k:", keyId, ":");
        return
        [
            connection.Key(tag, "q:s"),
            connection.Key(tag, "q:u:win"),
            connection.Key(tag, "q:u:late"),
            connection.Key(tag, "q:res"),
            connection.Key(tag, key + "win"),
            connection.Key(tag, key + "late"),
            connection.Key(tag, key + "inflight"),
        ];
    }
}
