using System.Globalization;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Grains.Conversations.Transcript;

/// <summary>The cluster's transcripts: four keys per conversation, all under the conversation grain's hash tag (the slot
/// of its grain state and archive copy), each call one script (see <see cref="RedisTranscriptScripts"/>). An append
/// sends only the turn's entries, so a turn at turn 1,000 writes what a turn at turn 10 writes.</summary>
public sealed class RedisTranscriptStore(IRedisConnection connection) : ITranscriptStore
{
    /// <summary>The hash tag of a conversation's keys; its grain state and archive copy use the same one.</summary>
    public static string HashTag(string conversationId) => GrainStorage.HashTag(ConversationGrain.GrainTypeName, conversationId);

    public async Task<TranscriptAppend> AppendAsync(string conversationId, IReadOnlyList<TranscriptEntry> entries, string? turnKey, TranscriptMarks marks)
    {
        var args = new RedisValue[3 + 2 * entries.Count];
        args[0] = turnKey ?? "";
        args[1] = marks.ContextFromSeq;
        args[2] = marks.UsedAtMs;
        for (var i = 0; i < entries.Count; i++)
        {
            args[3 + 2 * i] = entries[i].Id;
            args[4 + 2 * i] = TranscriptEntryCodec.Encode(entries[i]);
        }
        RedisKey[] keys = [.. AllKeys(conversationId), connection.Key(HashTag(conversationId), "state")];
        var result = await EvaluateAsync(RedisTranscriptScripts.Append, conversationId, args, keys).ConfigureAwait(false);
        var first = (long)result[0];
        if (first < 0)
        {
            return TranscriptAppend.Gone;
        }
        if (first == 0)
        {
            var seq = (long)result[1];
            return new TranscriptAppend(0, Decode(result[2], seq));
        }
        for (var i = 0; i < entries.Count; i++)
        {
            entries[i].Seq = first + i;
        }
        return new TranscriptAppend(first, null);
    }

    public async Task<TranscriptTail> ReadTailAsync(string conversationId, long fromSeq)
    {
        var result = await EvaluateAsync(RedisTranscriptScripts.ReadTail, conversationId, [Math.Max(1, fromSeq)], KeysOf(conversationId, log: true, marks: true))
            .ConfigureAwait(false);
        var last = (long)result[0];
        var from = (long)result[1];
        var entries = new List<TranscriptEntry>(result.Length - 3);
        for (var i = 3; i < result.Length; i++)
        {
            if (Decode(result[i], from + i - 3) is { } entry)
            {
                entries.Add(entry);
            }
        }
        return new TranscriptTail(last, from, (long)result[2], entries);
    }

    public async Task<IReadOnlyList<TranscriptEntry>> ReadRangeAsync(string conversationId, long fromSeq, long toSeq)
    {
        fromSeq = Math.Max(1, fromSeq);
        if (toSeq < fromSeq)
        {
            return [];
        }
        var db = await DatabaseAsync().ConfigureAwait(false);
        var values = await db.ListRangeAsync(Key(conversationId, "log"), fromSeq - 1, toSeq - 1).ConfigureAwait(false);
        var entries = new List<TranscriptEntry>(values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            if (TranscriptEntryCodec.Decode((byte[])values[i]!, fromSeq + i) is { } entry)
            {
                entries.Add(entry);
            }
        }
        return entries;
    }

    public async Task<TranscriptPage> ListAsync(string conversationId, string? afterId, bool ascending, int limit)
    {
        var result = await EvaluateAsync(RedisTranscriptScripts.List, conversationId, [afterId ?? "", ascending ? 1 : -1, limit],
            KeysOf(conversationId, log: true, ids: true)).ConfigureAwait(false);
        if ((long)result[0] < 0)
        {
            return new TranscriptPage(false, [], false);
        }
        var entries = new List<TranscriptEntry>((result.Length - 1) / 2);
        for (var i = 1; i + 1 < result.Length; i += 2)
        {
            entries.Add(Decode(result[i + 1], (long)result[i])!);
        }
        return new TranscriptPage(true, entries, (long)result[0] == 1);
    }

    public async Task<TranscriptEntry?> GetAsync(string conversationId, string itemId)
    {
        var result = await EvaluateAsync(RedisTranscriptScripts.Get, conversationId, [itemId], KeysOf(conversationId, log: true, ids: true))
            .ConfigureAwait(false);
        return result.Length == 0 ? null : Decode(result[1], (long)result[0]);
    }

    public async Task<bool> RemoveAsync(string conversationId, string itemId)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var removed = await db.ScriptEvaluateAsync(RedisTranscriptScripts.Remove, KeysOf(conversationId, log: true, ids: true), [itemId]).ConfigureAwait(false);
        return (long)removed == 1;
    }

    public async Task TouchAsync(string conversationId, long usedAtMs)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        await db.HashSetAsync(Key(conversationId, "marks"), "used", usedAtMs).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string conversationId)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        await db.KeyDeleteAsync(AllKeys(conversationId)).ConfigureAwait(false);
    }

    public async Task<TranscriptSnapshot?> ExportAsync(string conversationId)
    {
        var result = await EvaluateAsync(RedisTranscriptScripts.Export, conversationId, []).ConfigureAwait(false);
        var count = (int)(long)result[2];
        if (count == 0)
        {
            return null;
        }
        var entries = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            entries[i] = (byte[])result[3 + i]!;
        }
        var turns = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 3 + count; i + 1 < result.Length; i += 2)
        {
            turns[(string)result[i]!] = long.Parse((string)result[i + 1]!, CultureInfo.InvariantCulture);
        }
        return new TranscriptSnapshot(entries, turns, (long)result[0], (long)result[1]);
    }

    public async Task ImportAsync(string conversationId, TranscriptSnapshot snapshot)
    {
        var ids = new List<(string Id, long Seq)>(snapshot.Entries.Count);
        for (var i = 0; i < snapshot.Entries.Count; i++)
        {
            if (TranscriptEntryCodec.Decode(snapshot.Entries[i], i + 1) is { } entry)
            {
                ids.Add((entry.Id, entry.Seq));
            }
        }
        var args = new List<RedisValue>(4 + snapshot.Entries.Count + 2 * ids.Count + 2 * snapshot.Turns.Count)
        {
            snapshot.ContextFromSeq,
            snapshot.UsedAtMs,
            snapshot.Entries.Count,
        };
        foreach (var stored in snapshot.Entries)
        {
            args.Add(stored);
        }
        args.Add(ids.Count);
        foreach (var (id, seq) in ids)
        {
            args.Add(id);
            args.Add(seq);
        }
        foreach (var (key, seq) in snapshot.Turns)
        {
            args.Add(key);
            args.Add(seq);
        }
        var db = await DatabaseAsync().ConfigureAwait(false);
        await db.ScriptEvaluateAsync(RedisTranscriptScripts.Import, AllKeys(conversationId), [.. args]).ConfigureAwait(false);
    }

    private async Task<RedisResult[]> EvaluateAsync(string script, string conversationId, RedisValue[] args, RedisKey[]? keys = null)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        return (RedisResult[])(await db.ScriptEvaluateAsync(script, keys ?? AllKeys(conversationId), args).ConfigureAwait(false))!;
    }

    private async ValueTask<IDatabase> DatabaseAsync() => (await connection.GetMultiplexerAsync().ConfigureAwait(false)).GetDatabase();

    private RedisKey Key(string conversationId, string suffix) => connection.Key(HashTag(conversationId), suffix);

    private RedisKey[] AllKeys(string conversationId)
        => [Key(conversationId, "log"), Key(conversationId, "ids"), Key(conversationId, "turns"), Key(conversationId, "marks")];

    private RedisKey[] KeysOf(string conversationId, bool log = false, bool ids = false, bool marks = false)
    {
        var keys = new List<RedisKey>(2);
        if (log)
        {
            keys.Add(Key(conversationId, "log"));
        }
        if (ids)
        {
            keys.Add(Key(conversationId, "ids"));
        }
        if (marks)
        {
            keys.Add(Key(conversationId, "marks"));
        }
        return [.. keys];
    }

    private static TranscriptEntry? Decode(RedisResult value, long seq) => value.IsNull ? null : TranscriptEntryCodec.Decode((byte[])value!, seq);
}
