namespace Parley.Grains.Conversations.Lifecycle;

/// <summary>Conversations moved out of the hot grain storage after a period without use: kept compressed, retrievable
/// (the grain restores one on its next use), and deleted for good when the archive retention ends.</summary>
public interface IConversationArchive
{
    /// <summary>Stores the serialised state (replacing any earlier copy); it expires after the archive retention.</summary>
    Task PutAsync(string conversationId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken = default);

    /// <summary>The serialised state as it was put, or null if none (never archived, restored, or expired).</summary>
    Task<byte[]?> GetAsync(string conversationId, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(string conversationId, CancellationToken cancellationToken = default);

    /// <summary>Deletes expired copies; returns how many. Redis expires its keys by itself (returns 0).</summary>
    Task<int> PurgeExpiredAsync(CancellationToken cancellationToken = default);
}
