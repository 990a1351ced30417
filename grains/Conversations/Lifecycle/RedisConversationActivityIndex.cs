using System.Globalization;
using Microsoft.Extensions.Logging;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Grains.Conversations.Lifecycle;

/// <summary>The activity index of a cluster: one sorted set (member = conversation id, score = last use in unix
/// milliseconds) and the sweep lease, both under one hash tag. The set is a single key, so on Redis Cluster it lives
/// on one node; at one entry per conversation (tens of bytes) that is fine into the millions.</summary>
public sealed partial class RedisConversationActivityIndex(IRedisConnection connection, ILogger<RedisConversationActivityIndex> logger)
    : IConversationActivityIndex
{
    public const string HashTag = "conversations";
    public const string IndexSuffix = "activity";
    public const string LeaseSuffix = "sweep-lease";

    // Take the lease if it is free, or extend it if this owner already holds it; never touch another owner's lease.
    private const string LeaseScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder == false then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        if holder == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        return 0
        """;

    private static readonly RedisValue Gt = "GT";

    private readonly RedisKey _indexKey = connection.Key(HashTag, IndexSuffix);
    private readonly RedisKey _leaseKey = connection.Key(HashTag, LeaseSuffix);

    /// <summary>The sorted set's key (for tests and operators).</summary>
    public string IndexKey => _indexKey!;

    /// <summary>The sweep lease's key (for tests and operators).</summary>
    public string LeaseKey => _leaseKey!;

    public void Touch(string conversationId, DateTimeOffset lastUsed)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        var score = lastUsed.ToUnixTimeMilliseconds();
        var pending = connection.GetMultiplexerAsync();
        if (pending.IsCompletedSuccessfully)
        {
            Send(pending.Result, conversationId, score);
        }
        else
        {
            // Only until the process's first connection completes: the caller still does not wait.
            _ = TouchWhenConnectedAsync(pending.AsTask(), conversationId, score);
        }
    }

    public async Task RemoveAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        var db = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        await db.SortedSetRemoveAsync(_indexKey, conversationId).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> GetIdleAsync(DateTimeOffset idleSince, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var db = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        // ZRANGEBYSCORE key -inf <idleSince> LIMIT 0 <limit>: least recently used first, ties by id.
        var members = await db.SortedSetRangeByScoreAsync(_indexKey, double.NegativeInfinity, idleSince.ToUnixTimeMilliseconds(),
            Exclude.None, Order.Ascending, 0, limit).ConfigureAwait(false);
        var ids = new string[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            ids[i] = members[i]!;
        }
        return ids;
    }

    public async Task<IReadOnlyList<ConversationActivity>> GetRecentAsync(int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var db = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        // ZRANGE key 0 <limit-1> REV WITHSCORES: most recently used first.
        var entries = await db.SortedSetRangeByRankWithScoresAsync(_indexKey, 0, limit - 1, Order.Descending).ConfigureAwait(false);
        var recent = new ConversationActivity[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            recent[i] = new ConversationActivity(entries[i].Element!, DateTimeOffset.FromUnixTimeMilliseconds((long)entries[i].Score));
        }
        return recent;
    }

    public async Task<bool> TryLeaseSweepAsync(string owner, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfLessThan(lease, TimeSpan.FromMilliseconds(1));
        var db = await GetDatabaseAsync(cancellationToken).ConfigureAwait(false);
        var result = await db.ScriptEvaluateAsync(LeaseScript, [_leaseKey],
            [owner, ((long)lease.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)]).ConfigureAwait(false);
        return (long)result == 1;
    }

    private void Send(IConnectionMultiplexer multiplexer, string conversationId, long score)
    {
        try
        {
            // ZADD GT (Redis 6.2+): a late or reordered touch never moves a conversation back towards archiving.
            multiplexer.GetDatabase().Execute("ZADD", [_indexKey, Gt, score, conversationId], CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            // A lost touch only delays archiving: the grain re-checks its own last use before archiving.
            LogTouchFailed(logger, conversationId, ex);
        }
    }

    private async Task TouchWhenConnectedAsync(Task<IConnectionMultiplexer> pending, string conversationId, long score)
    {
        try
        {
            Send(await pending.ConfigureAwait(false), conversationId, score);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex) || ex is OperationCanceledException)
        {
            LogTouchFailed(logger, conversationId, ex);
        }
    }

    private async ValueTask<IDatabase> GetDatabaseAsync(CancellationToken cancellationToken)
        => (await connection.GetMultiplexerAsync(cancellationToken).ConfigureAwait(false)).GetDatabase();

    [LoggerMessage(EventId = 3400, Level = LogLevel.Warning, Message = "Recording the use of conversation {ConversationId} in the activity index failed; it will be archived late.")]
    private static partial void LogTouchFailed(ILogger logger, string conversationId, Exception exception);
}
