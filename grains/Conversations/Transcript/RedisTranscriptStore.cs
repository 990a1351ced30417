using System.Globalization;
using Parley.Grains.Encryption;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Grains.Conversations.Transcript;

/// <summary>The cluster's transcripts: four keys per conversation, all under the conversation grain's hash tag (the slot
/// of its grain state and archive copy), each call one script (see <see cref="RedisTranscriptScripts"/>). An append
/// sends only the turn's entries, so a turn at turn 1,000 writes what a turn at turn 10 writes. Each entry is stored
/// sealed by the <see cref="ContentCipher"/> with the conversation as its place (<see cref="PlaceOf"/>): Redis holds no
/// message text, and an entry copied into another conversation does not decrypt there. A removed entry stays an empty
/// value.</summary>
public sealed class RedisTranscriptStore(IRedisConnection connection, ContentCipher cipher) : ITranscriptStore
{
    private static readonly RedisValue[] s_tailMarks = ["ctx", "used"];

    /// <summary>The hash tag of a conversation's keys; its grain state and archive copy use the same one.</summary>
    public static string HashTag(string conversationId) => GrainStorage.HashTag(ConversationGrain.GrainTypeName, conversationId);

    /// <summary>The place (associated data) of a conversation's entries.</summary>
    public static string PlaceOf(string conversationId) => "transcript/" + conversationId;

    public async Task<TranscriptAppend> AppendAsync(string conversationId, IReadOnlyList<TranscriptEntry> entries, string? turnKey, TranscriptMarks marks)
    {
        var args = new RedisValue[3 + 2 * entries.Count];
        args[0] = turnKey ?? "";
        args[1] = marks.ContextFromSeq;
        args[2] = marks.UsedAtMs;
        var place = PlaceOf(conversationId);
        for (var i = 0; i < entries.Count; i++)
        {
            args[3 + 2 * i] = entries[i].Id;
            args[4 + 2 * i] = cipher.Protect(TranscriptEntryCodec.Encode(entries[i]), place);
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
            return new TranscriptAppend(0, Decode(place, result[2], seq));
        }
        for (var i = 0; i < entries.Count; i++)
        {
            entries[i].Seq = first + i;
        }
        return new TranscriptAppend(first, null);
    }

    /// <summary>One round trip of plain commands in a transaction (so they see one moment): the marks, the log's length
    /// and the log from <paramref name="fromSeq"/>. Not a script: a Lua script copies every entry it returns into a Lua
    /// string and back, which for a long working context costs Redis many times what LRANGE does (about 10 ms against
    /// under 1 ms for 2,000 entries, 1.9 MB, measured by the conversation benchmark), and Redis serves no one else
    /// meanwhile. The entries before the recorded context start are left undecoded; they reach the client only while
    /// entries were dropped without being summarised (a summary moves <paramref name="fromSeq"/> past them).</summary>
    public async Task<TranscriptTail> ReadTailAsync(string conversationId, long fromSeq)
    {
        fromSeq = Math.Max(1, fromSeq);
        var log = Key(conversationId, "log");
        var db = await DatabaseAsync().ConfigureAwait(false);
        var transaction = db.CreateTransaction();
        var marksRead = transaction.HashGetAsync(Key(conversationId, "marks"), s_tailMarks);
        var lengthRead = transaction.ListLengthAsync(log);
        var rangeRead = transaction.ListRangeAsync(log, fromSeq - 1, -1);
        await transaction.ExecuteAsync().ConfigureAwait(false);
        var marks = await marksRead.ConfigureAwait(false);
        var last = await lengthRead.ConfigureAwait(false);
        var values = await rangeRead.ConfigureAwait(false);

        var from = Math.Max(fromSeq, marks[0].IsNull ? 1 : (long)marks[0]);
        var skip = (int)Math.Min(values.Length, from - fromSeq);
        var entries = new List<TranscriptEntry>(values.Length - skip);
        var place = PlaceOf(conversationId);
        for (var i = skip; i < values.Length; i++)
        {
            if (Decode(place, (ReadOnlyMemory<byte>)values[i], fromSeq + i) is { } entry)
            {
                entries.Add(entry);
            }
        }
        return new TranscriptTail(last, from, marks[1].IsNull ? 0 : (long)marks[1], entries);
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
        var place = PlaceOf(conversationId);
        for (var i = 0; i < values.Length; i++)
        {
            if (Decode(place, (ReadOnlyMemory<byte>)values[i], fromSeq + i) is { } entry)
            {
                entries.Add(entry);
            }
        }
        return entries;
    }

    public async Task<TranscriptPage> ListAsync(string conversationId, string? afterId, bool ascending, int limit)
    {
        var result = await EvaluateAsync(RedisTranscriptScripts.List, conversationId, [afterId ?? "", ascending ? 1 : -1, limit],
            LogAndIds(conversationId)).ConfigureAwait(false);
        if ((long)result[0] < 0)
        {
            return new TranscriptPage(false, [], false);
        }
        var entries = new List<TranscriptEntry>((result.Length - 1) / 2);
        var place = PlaceOf(conversationId);
        for (var i = 1; i + 1 < result.Length; i += 2)
        {
            entries.Add(Decode(place, result[i + 1], (long)result[i])!);
        }
        return new TranscriptPage(true, entries, (long)result[0] == 1);
    }

    public async Task<TranscriptEntry?> GetAsync(string conversationId, string itemId)
    {
        var result = await EvaluateAsync(RedisTranscriptScripts.Get, conversationId, [itemId], LogAndIds(conversationId))
            .ConfigureAwait(false);
        return result.Length == 0 ? null : Decode(PlaceOf(conversationId), result[1], (long)result[0]);
    }

    public async Task<bool> RemoveAsync(string conversationId, string itemId)
    {
        var db = await DatabaseAsync().ConfigureAwait(false);
        var removed = await db.ScriptEvaluateAsync(RedisTranscriptScripts.Remove, LogAndIds(conversationId), [itemId]).ConfigureAwait(false);
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
        var place = PlaceOf(conversationId);
        for (var i = 0; i < snapshot.Entries.Count; i++)
        {
            if (Decode(place, snapshot.Entries[i], i + 1) is { } entry)
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

    /// <summary>The log and its id index: what the listing and single-item scripts need.</summary>
    private RedisKey[] LogAndIds(string conversationId) => [Key(conversationId, "log"), Key(conversationId, "ids")];

    private TranscriptEntry? Decode(string place, RedisResult value, long seq)
        => value.IsNull ? null : Decode(place, (byte[])value!, seq);

    /// <summary>Null for a removed entry (an empty value, never sealed). <paramref name="place"/>: <see cref="PlaceOf"/> the
    /// conversation, built once per read.</summary>
    private TranscriptEntry? Decode(string place, ReadOnlyMemory<byte> stored, long seq)
        => stored.IsEmpty ? null : TranscriptEntryCodec.Decode(cipher.Open(stored, place), seq);
}
