using System.Globalization;
using System.Text;
using Parley.Grains.Encryption;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Grains.Batches;

/// <summary>Batch progress in Redis: per batch an append-only log (a list: <c>S line owner</c> before a line is sent,
/// <c>R line owner</c> when a refused line is taken back, <c>D line ok output</c> with its result) and two hashes that
/// the scripts check (who holds each started line; which lines have a result), all under the batch grain's hash tag, so
/// every change is one atomic script. The index of a user's batches is a sorted set by creation time. A result's output
/// line (the answer, or the error naming it) is sealed by the <see cref="ContentCipher"/> with the batch and line as its
/// place; the rest of the log is line numbers and owners.</summary>
public sealed class RedisBatchProgressStore(IRedisConnection connection, ContentCipher cipher) : IBatchProgressStore
{
    private const int ReadPage = 1_000;

    // KEYS: claims, done, log. ARGV: line, owner. A start by the same owner again (its reply was lost) is its own.
    private const string StartScript = """
        if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
        local holder = redis.call('HGET', KEYS[1], ARGV[1])
        if holder and holder ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('RPUSH', KEYS[3], 'S|' .. ARGV[1] .. '|' .. ARGV[2])
        return 1
        """;

    private const string ReleaseScript = """
        if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('RPUSH', KEYS[3], 'R|' .. ARGV[1] .. '|' .. ARGV[2])
        return 1
        """;

    // ARGV: line, 1|0, output line.
    private const string CompleteScript = """
        if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('RPUSH', KEYS[3], 'D|' .. ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3])
        return 1
        """;

    public static string HashTag(string batchId) => GrainStorage.HashTag(BatchGrain.GrainTypeName, batchId);

    /// <summary>The place (associated data) of one line's output in a batch's (or document job's) log.</summary>
    public static string PlaceOf(string batchId, int line) => string.Create(CultureInfo.InvariantCulture, $"batch/{batchId}/{line}");

    public async Task<bool> TryStartAsync(string batchId, int line, string owner)
        => (long)await EvaluateAsync(StartScript, batchId, [line, owner]).ConfigureAwait(false) == 1;

    public async Task ReleaseAsync(string batchId, int line, string owner)
        => await EvaluateAsync(ReleaseScript, batchId, [line, owner]).ConfigureAwait(false);

    public async Task<bool> CompleteAsync(string batchId, LineResult result)
        => (long)await EvaluateAsync(CompleteScript, batchId, [result.Line, result.Succeeded ? 1 : 0, cipher.Protect(result.OutputLine, PlaceOf(batchId, result.Line))]).ConfigureAwait(false) == 1;

    public async Task<BatchProgress> ReadAsync(string batchId)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var results = new Dictionary<int, LineResult>();
        var started = new Dictionary<int, string>();
        var log = Key(batchId, "log");
        for (long from = 0; ; from += ReadPage)
        {
            var entries = await db.ListRangeAsync(log, from, from + ReadPage - 1).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                Fold(batchId, (byte[])entry!, results, started);
            }
            if (entries.Length < ReadPage)
            {
                break;
            }
        }
        return new BatchProgress(results, started);
    }

    public async Task AddToIndexAsync(string userId, string batchId, long createdAtMs)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        await db.SortedSetAddAsync(IndexKey(userId), batchId, createdAtMs, When.NotExists).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<string>> ListAsync(string userId, string? after, int limit)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        long start = 0;
        if (after is not null)
        {
            if (await db.SortedSetRankAsync(IndexKey(userId), after, Order.Descending).ConfigureAwait(false) is not { } rank)
            {
                return [];
            }
            start = rank + 1;
        }
        var ids = await db.SortedSetRangeByRankAsync(IndexKey(userId), start, start + limit - 1, Order.Descending).ConfigureAwait(false);
        return [.. ids.Select(id => (string)id!)];
    }

    /// <summary>Applies one log entry: a start claims the line, a release frees it, a result settles it.</summary>
    private void Fold(string batchId, byte[] entry, Dictionary<int, LineResult> results, Dictionary<int, string> started)
    {
        var kind = entry[0];
        var rest = entry.AsSpan(2);
        var bar = rest.IndexOf((byte)'|');
        var line = int.Parse(rest[..bar], NumberStyles.None, CultureInfo.InvariantCulture);
        rest = rest[(bar + 1)..];
        switch (kind)
        {
            case (byte)'S':
                started[line] = Encoding.UTF8.GetString(rest);
                break;
            case (byte)'R':
                started.Remove(line);
                break;
            case (byte)'D':
                started.Remove(line);
                if (!results.ContainsKey(line))
                {
                    results.Add(line, new LineResult(line, rest[0] == (byte)'1', cipher.Unprotect(rest[2..], PlaceOf(batchId, line))));
                }
                break;
        }
    }

    private async Task<RedisResult> EvaluateAsync(string script, string batchId, RedisValue[] args)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        return await db.ScriptEvaluateAsync(script, [Key(batchId, "claims"), Key(batchId, "done"), Key(batchId, "log")], args).ConfigureAwait(false);
    }

    private async ValueTask<IDatabase> DatabaseAsync() => (await connection.GetMultiplexerAsync().ConfigureAwait(false)).GetDatabase();

    private RedisKey Key(string batchId, string suffix) => connection.Key(HashTag(batchId), suffix);

    private RedisKey IndexKey(string userId) => connection.Key("batches/" + userId, "index");
}
