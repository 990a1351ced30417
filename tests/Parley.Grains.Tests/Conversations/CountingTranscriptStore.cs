using System.Collections.Concurrent;
using Parley.Grains.Conversations.Transcript;

namespace Parley.Grains.Tests.Conversations;

/// <summary>The real memory store, with a record of the reads the grain makes, to show what an activation reads and
/// when.</summary>
internal sealed class CountingTranscriptStore(ITranscriptStore inner) : ITranscriptStore
{
    public ConcurrentQueue<(string Conversation, long FromSeq)> TailReads { get; } = new();

    public ConcurrentQueue<(string Conversation, long FromSeq, long ToSeq)> RangeReads { get; } = new();

    public Task<TranscriptAppend> AppendAsync(string conversationId, IReadOnlyList<TranscriptEntry> entries, string? turnKey, TranscriptMarks marks)
        => inner.AppendAsync(conversationId, entries, turnKey, marks);

    public Task<TranscriptTail> ReadTailAsync(string conversationId, long fromSeq)
    {
        TailReads.Enqueue((conversationId, fromSeq));
        return inner.ReadTailAsync(conversationId, fromSeq);
    }

    public Task<IReadOnlyList<TranscriptEntry>> ReadRangeAsync(string conversationId, long fromSeq, long toSeq)
    {
        RangeReads.Enqueue((conversationId, fromSeq, toSeq));
        return inner.ReadRangeAsync(conversationId, fromSeq, toSeq);
    }

    public Task<TranscriptPage> ListAsync(string conversationId, string? afterId, bool ascending, int limit) => inner.ListAsync(conversationId, afterId, ascending, limit);

    public Task<TranscriptEntry?> GetAsync(string conversationId, string itemId) => inner.GetAsync(conversationId, itemId);

    public Task<bool> RemoveAsync(string conversationId, string itemId) => inner.RemoveAsync(conversationId, itemId);

    public Task TouchAsync(string conversationId, long usedAtMs) => inner.TouchAsync(conversationId, usedAtMs);

    public Task DeleteAsync(string conversationId) => inner.DeleteAsync(conversationId);

    public Task<TranscriptSnapshot?> ExportAsync(string conversationId) => inner.ExportAsync(conversationId);

    public Task ImportAsync(string conversationId, TranscriptSnapshot snapshot) => inner.ImportAsync(conversationId, snapshot);
}
