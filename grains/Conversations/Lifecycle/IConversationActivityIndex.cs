namespace Parley.Grains.Conversations.Lifecycle;

/// <summary>Conversations by time of last use, so the sweeper finds the idle ones without reading every state.
/// In memory for the embedded default, a sorted set in Redis for a cluster.</summary>
public interface IConversationActivityIndex
{
    /// <summary>Records a use. Never waits for a Redis round trip (the write is fire-and-forget): an index entry
    /// that is late or lost only delays archiving, since the grain re-checks its own last-use time.</summary>
    void Touch(string conversationId, DateTimeOffset lastUsed);

    /// <summary>Forgets the conversation (deleted or archived).</summary>
    Task RemoveAsync(string conversationId, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> conversations last used at or before <paramref name="idleSince"/>,
    /// least recently used first.</summary>
    Task<IReadOnlyList<string>> GetIdleAsync(DateTimeOffset idleSince, int limit, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="limit"/> conversations with their last use, most recently used first (for the
    /// operators' console).</summary>
    Task<IReadOnlyList<ConversationActivity>> GetRecentAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>Takes the cluster-wide sweep lease for <paramref name="lease"/> so that one silo sweeps at a time;
    /// false if another owner holds it. The lease is held by one owner until it expires; the holder renews it by
    /// calling again.</summary>
    Task<bool> TryLeaseSweepAsync(string owner, TimeSpan lease, CancellationToken cancellationToken = default);
}

/// <summary>A conversation and when it was last used (as the index has it, to the millisecond).</summary>
public readonly record struct ConversationActivity(string ConversationId, DateTimeOffset LastUsed);
