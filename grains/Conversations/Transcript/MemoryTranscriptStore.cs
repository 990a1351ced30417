using System.Collections.Concurrent;

namespace Parley.Grains.Conversations.Transcript;

/// <summary>The embedded default: transcripts in process memory, kept in their stored form (the same bytes the Redis
/// store keeps), so both stores decode through one codec.</summary>
public sealed class MemoryTranscriptStore : ITranscriptStore
{
    private readonly ConcurrentDictionary<string, Log> _logs = new(StringComparer.Ordinal);

    public Task<TranscriptAppend> AppendAsync(string conversationId, IReadOnlyList<TranscriptEntry> entries, string? turnKey, TranscriptMarks marks)
    {
        var log = _logs.GetOrAdd(conversationId, static _ => new Log());
        lock (log)
        {
            if (turnKey is not null && log.Turns.TryGetValue(turnKey, out var endSeq))
            {
                return Task.FromResult(new TranscriptAppend(0, log.Decode(endSeq)));
            }
            var first = log.Entries.Count + 1L;
            foreach (var entry in entries)
            {
                entry.Seq = log.Entries.Count + 1L;
                log.Entries.Add(TranscriptEntryCodec.Encode(entry));
                log.Ids[entry.Id] = entry.Seq;
            }
            if (turnKey is not null)
            {
                log.Turns[turnKey] = log.Entries.Count;
            }
            log.ContextFromSeq = marks.ContextFromSeq;
            log.UsedAtMs = marks.UsedAtMs;
            return Task.FromResult(new TranscriptAppend(first, null));
        }
    }

    public Task<TranscriptTail> ReadTailAsync(string conversationId, long fromSeq)
    {
        if (!_logs.TryGetValue(conversationId, out var log))
        {
            return Task.FromResult(new TranscriptTail(0, Math.Max(1, fromSeq), 0, []));
        }
        lock (log)
        {
            var from = Math.Max(Math.Max(1, fromSeq), log.ContextFromSeq);
            return Task.FromResult(new TranscriptTail(log.Entries.Count, from, log.UsedAtMs, log.DecodeRange(from, log.Entries.Count)));
        }
    }

    public Task<IReadOnlyList<TranscriptEntry>> ReadRangeAsync(string conversationId, long fromSeq, long toSeq)
    {
        if (!_logs.TryGetValue(conversationId, out var log))
        {
            return Task.FromResult<IReadOnlyList<TranscriptEntry>>([]);
        }
        lock (log)
        {
            return Task.FromResult<IReadOnlyList<TranscriptEntry>>(log.DecodeRange(fromSeq, toSeq));
        }
    }

    public Task<TranscriptPage> ListAsync(string conversationId, string? afterId, bool ascending, int limit)
    {
        if (!_logs.TryGetValue(conversationId, out var log))
        {
            return Task.FromResult(new TranscriptPage(afterId is null, [], false));
        }
        lock (log)
        {
            var step = ascending ? 1 : -1;
            long seq;
            if (afterId is null)
            {
                seq = ascending ? 1 : log.Entries.Count;
            }
            else if (log.Ids.TryGetValue(afterId, out var after))
            {
                seq = after + step;
            }
            else
            {
                return Task.FromResult(new TranscriptPage(false, [], false));
            }
            var page = new List<TranscriptEntry>(Math.Min(limit, log.Entries.Count));
            for (; seq >= 1 && seq <= log.Entries.Count; seq += step)
            {
                if (log.Decode(seq) is not { } entry)
                {
                    continue;
                }
                if (page.Count == limit)
                {
                    return Task.FromResult(new TranscriptPage(true, page, true));
                }
                page.Add(entry);
            }
            return Task.FromResult(new TranscriptPage(true, page, false));
        }
    }

    public Task<TranscriptEntry?> GetAsync(string conversationId, string itemId)
    {
        if (!_logs.TryGetValue(conversationId, out var log))
        {
            return Task.FromResult<TranscriptEntry?>(null);
        }
        lock (log)
        {
            return Task.FromResult(log.Ids.TryGetValue(itemId, out var seq) ? log.Decode(seq) : null);
        }
    }

    public Task<bool> RemoveAsync(string conversationId, string itemId)
    {
        if (!_logs.TryGetValue(conversationId, out var log))
        {
            return Task.FromResult(false);
        }
        lock (log)
        {
            if (!log.Ids.Remove(itemId, out var seq))
            {
                return Task.FromResult(false);
            }
            log.Entries[(int)(seq - 1)] = [];
            return Task.FromResult(true);
        }
    }

    public Task TouchAsync(string conversationId, long usedAtMs)
    {
        var log = _logs.GetOrAdd(conversationId, static _ => new Log());
        lock (log)
        {
            log.UsedAtMs = usedAtMs;
        }
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string conversationId)
    {
        _logs.TryRemove(conversationId, out _);
        return Task.CompletedTask;
    }

    public Task<TranscriptSnapshot?> ExportAsync(string conversationId)
    {
        if (!_logs.TryGetValue(conversationId, out var log))
        {
            return Task.FromResult<TranscriptSnapshot?>(null);
        }
        lock (log)
        {
            return Task.FromResult<TranscriptSnapshot?>(new TranscriptSnapshot([.. log.Entries], new Dictionary<string, long>(log.Turns), log.ContextFromSeq,
                log.UsedAtMs));
        }
    }

    public Task ImportAsync(string conversationId, TranscriptSnapshot snapshot)
    {
        var log = new Log { ContextFromSeq = snapshot.ContextFromSeq, UsedAtMs = snapshot.UsedAtMs };
        foreach (var stored in snapshot.Entries)
        {
            log.Entries.Add(stored);
            if (TranscriptEntryCodec.Decode(stored, log.Entries.Count) is { } entry)
            {
                log.Ids[entry.Id] = entry.Seq;
            }
        }
        foreach (var (key, seq) in snapshot.Turns)
        {
            log.Turns[key] = seq;
        }
        _logs[conversationId] = log;
        return Task.CompletedTask;
    }

    private sealed class Log
    {
        public List<byte[]> Entries { get; } = [];
        public Dictionary<string, long> Ids { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, long> Turns { get; } = new(StringComparer.Ordinal);
        public long ContextFromSeq { get; set; } = 1;
        public long UsedAtMs { get; set; }

        public TranscriptEntry? Decode(long seq) => seq >= 1 && seq <= Entries.Count ? TranscriptEntryCodec.Decode(Entries[(int)(seq - 1)], seq) : null;

        public List<TranscriptEntry> DecodeRange(long from, long to)
        {
            var entries = new List<TranscriptEntry>((int)Math.Max(0, Math.Min(to, Entries.Count) - from + 1));
            for (var seq = Math.Max(1, from); seq <= Math.Min(to, Entries.Count); seq++)
            {
                if (Decode(seq) is { } entry)
                {
                    entries.Add(entry);
                }
            }
            return entries;
        }
    }
}
