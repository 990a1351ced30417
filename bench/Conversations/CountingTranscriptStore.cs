using Parley.Grains.Conversations.Transcript;

namespace Parley.Bench.Conversations;

/// <summary>What the grains asked of their transcript store: calls per operation and entries read. Counts only; every
/// call goes straight to the real store (Redis or memory).</summary>
internal readonly record struct TranscriptCalls(long Appends, long TailReads, long TailEntries, long RangeReads, long RangeEntries, long Other)
{
    public static TranscriptCalls operator +(TranscriptCalls a, TranscriptCalls b) => new(a.Appends + b.Appends, a.TailReads + b.TailReads,
        a.TailEntries + b.TailEntries, a.RangeReads + b.RangeReads, a.RangeEntries + b.RangeEntries, a.Other + b.Other);

    public static TranscriptCalls operator -(TranscriptCalls a, TranscriptCalls b) => new(a.Appends - b.Appends, a.TailReads - b.TailReads,
        a.TailEntries - b.TailEntries, a.RangeReads - b.RangeReads, a.RangeEntries - b.RangeEntries, a.Other - b.Other);

    public long Total => Appends + TailReads + RangeReads + Other;
}

/// <summary>A decorator over the silo's <see cref="ITranscriptStore"/> that counts what the conversation grains ask of
/// it: how many round trips a turn or an activation costs, seen from the grain's side.</summary>
internal sealed class CountingTranscriptStore(ITranscriptStore inner) : ITranscriptStore
{
    private long _appends, _tailReads, _tailEntries, _rangeReads, _rangeEntries, _other;

    public TranscriptCalls Calls => new(Interlocked.Read(ref _appends), Interlocked.Read(ref _tailReads), Interlocked.Read(ref _tailEntries),
        Interlocked.Read(ref _rangeReads), Interlocked.Read(ref _rangeEntries), Interlocked.Read(ref _other));

    public Task<TranscriptAppend> AppendAsync(string conversationId, IReadOnlyList<TranscriptEntry> entries, string? turnKey, TranscriptMarks marks)
    {
        Interlocked.Increment(ref _appends);
        return inner.AppendAsync(conversationId, entries, turnKey, marks);
    }

    public async Task<TranscriptTail> ReadTailAsync(string conversationId, long fromSeq)
    {
        Interlocked.Increment(ref _tailReads);
        var tail = await inner.ReadTailAsync(conversationId, fromSeq).ConfigureAwait(false);
        Interlocked.Add(ref _tailEntries, tail.Entries.Count);
        return tail;
    }

    public async Task<IReadOnlyList<TranscriptEntry>> ReadRangeAsync(string conversationId, long fromSeq, long toSeq)
    {
        Interlocked.Increment(ref _rangeReads);
        var entries = await inner.ReadRangeAsync(conversationId, fromSeq, toSeq).ConfigureAwait(false);
        Interlocked.Add(ref _rangeEntries, entries.Count);
        return entries;
    }

    public Task<TranscriptPage> ListAsync(string conversationId, string? afterId, bool ascending, int limit)
        => Other(inner.ListAsync(conversationId, afterId, ascending, limit));

    public Task<TranscriptEntry?> GetAsync(string conversationId, string itemId) => Other(inner.GetAsync(conversationId, itemId));

    public Task<bool> RemoveAsync(string conversationId, string itemId) => Other(inner.RemoveAsync(conversationId, itemId));

    public Task TouchAsync(string conversationId, long usedAtMs) => Other(inner.TouchAsync(conversationId, usedAtMs));

    public Task DeleteAsync(string conversationId) => Other(inner.DeleteAsync(conversationId));

    public Task<TranscriptSnapshot?> ExportAsync(string conversationId) => Other(inner.ExportAsync(conversationId));

    public Task ImportAsync(string conversationId, TranscriptSnapshot snapshot) => Other(inner.ImportAsync(conversationId, snapshot));

    private T Other<T>(T call)
    {
        Interlocked.Increment(ref _other);
        return call;
    }
}
