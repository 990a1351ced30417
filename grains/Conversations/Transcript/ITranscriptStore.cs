namespace Parley.Grains.Conversations.Transcript;

/// <summary>A conversation's transcript: an append-only log of entries beside the grain's small state, so a turn costs
/// what the turn weighs, not what the conversation weighs. Entries are numbered from 1 by the store; a removed entry
/// keeps its number (reads skip it). A chat turn is appended at most once per key, atomically with its number.
/// Redis in a cluster (every key in the conversation's hash slot, each call one round trip), memory embedded.</summary>
public interface ITranscriptStore
{
    /// <summary>Appends <paramref name="entries"/> after the last entry and records <paramref name="marks"/>. With a
    /// <paramref name="turnKey"/> already stored, appends nothing and returns the entry that ended that turn instead
    /// (the last of <paramref name="entries"/> is the one that ends a turn). A store that can see the grain state
    /// (Redis) appends nothing to a conversation whose state is gone.</summary>
    Task<TranscriptAppend> AppendAsync(string conversationId, IReadOnlyList<TranscriptEntry> entries, string? turnKey, TranscriptMarks marks);

    /// <summary>The working context's entries: from the later of <paramref name="fromSeq"/> and the context start last
    /// recorded by <see cref="AppendAsync"/>, to the end.</summary>
    Task<TranscriptTail> ReadTailAsync(string conversationId, long fromSeq);

    /// <summary>Entries <paramref name="fromSeq"/> to <paramref name="toSeq"/> (inclusive), removed ones left out.</summary>
    Task<IReadOnlyList<TranscriptEntry>> ReadRangeAsync(string conversationId, long fromSeq, long toSeq);

    /// <summary>Up to <paramref name="limit"/> entries after the entry <paramref name="afterId"/> (or from the start /
    /// the end), in the given order, and whether more follow.</summary>
    Task<TranscriptPage> ListAsync(string conversationId, string? afterId, bool ascending, int limit);

    Task<TranscriptEntry?> GetAsync(string conversationId, string itemId);

    /// <summary>Removes one entry; false if no entry has that id.</summary>
    Task<bool> RemoveAsync(string conversationId, string itemId);

    /// <summary>Records a use that appended nothing (a settings change), for the lifecycle's idle clock.</summary>
    Task TouchAsync(string conversationId, long usedAtMs);

    /// <summary>Removes the whole transcript.</summary>
    Task DeleteAsync(string conversationId);

    /// <summary>Everything the store holds for the conversation, for the archive; null when it holds nothing.</summary>
    Task<TranscriptSnapshot?> ExportAsync(string conversationId);

    /// <summary>Replaces the transcript by <paramref name="snapshot"/> (restoring from the archive).</summary>
    Task ImportAsync(string conversationId, TranscriptSnapshot snapshot);
}

/// <param name="ContextFromSeq">The first entry of the working context: where the next activation starts reading.</param>
/// <param name="UsedAtMs">Unix milliseconds of this use.</param>
public readonly record struct TranscriptMarks(long ContextFromSeq, long UsedAtMs);

/// <param name="FirstSeq">The number of the first entry appended (0 when nothing was).</param>
/// <param name="Stored">When the turn key was stored before: the entry that ended that turn (null if it was removed
/// since).</param>
/// <param name="ConversationGone">Nothing was appended because the conversation's state is gone.</param>
public sealed record TranscriptAppend(long FirstSeq, TranscriptEntry? Stored, bool ConversationGone = false)
{
    public static TranscriptAppend Gone { get; } = new(0, null, ConversationGone: true);

    public bool Appended => FirstSeq > 0;
}

/// <param name="LastSeq">The number of the last entry ever appended (0: none).</param>
/// <param name="FromSeq">Where <see cref="Entries"/> starts.</param>
/// <param name="UsedAtMs">The last recorded use (0: none).</param>
public sealed record TranscriptTail(long LastSeq, long FromSeq, long UsedAtMs, IReadOnlyList<TranscriptEntry> Entries);

/// <param name="AfterFound">False when the <c>after</c> cursor names no entry.</param>
public sealed record TranscriptPage(bool AfterFound, IReadOnlyList<TranscriptEntry> Entries, bool HasMore);

/// <summary>A whole transcript as stored: entries in order (a removed one as an empty value), the turn index (key → the
/// number of the entry that ended the turn) and the marks.</summary>
public sealed record TranscriptSnapshot(IReadOnlyList<byte[]> Entries, IReadOnlyDictionary<string, long> Turns, long ContextFromSeq, long UsedAtMs);
