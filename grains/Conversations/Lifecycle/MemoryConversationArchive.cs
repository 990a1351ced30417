using Microsoft.Extensions.Options;

namespace Parley.Grains.Conversations.Lifecycle;

/// <summary>The archive of the embedded default: compressed copies in process memory, each with its expiry on the
/// injected clock. An expired copy is invisible at once; <see cref="PurgeExpiredAsync"/> frees its memory.</summary>
public sealed class MemoryConversationArchive(IOptions<ConversationLifecycleOptions> options, TimeProvider timeProvider) : IConversationArchive
{
    private readonly TimeSpan _retention = options.Value.ArchiveRetention;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Copy> _copies = new(StringComparer.Ordinal);

    public Task PutAsync(string conversationId, ReadOnlyMemory<byte> state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        var copy = new Copy(ArchiveCompression.Compress(state.Span), timeProvider.GetUtcNow() + _retention);
        lock (_lock)
        {
            _copies[conversationId] = copy;
        }
        return Task.CompletedTask;
    }

    public Task<byte[]?> GetAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        Copy copy;
        lock (_lock)
        {
            if (!_copies.TryGetValue(conversationId, out copy))
            {
                return Task.FromResult<byte[]?>(null);
            }
        }
        return Task.FromResult(IsExpired(copy, timeProvider.GetUtcNow()) ? null : ArchiveCompression.Decompress(copy.Compressed));
    }

    public Task<bool> DeleteAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            // An expired copy counts as already gone, as it would in Redis.
            return Task.FromResult(_copies.Remove(conversationId, out var copy) && !IsExpired(copy, now));
        }
    }

    public Task<int> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        var purged = 0;
        lock (_lock)
        {
            foreach (var (id, copy) in _copies)
            {
                // Removing the current entry while enumerating is allowed for Dictionary.
                if (IsExpired(copy, now) && _copies.Remove(id))
                {
                    purged++;
                }
            }
        }
        return Task.FromResult(purged);
    }

    private static bool IsExpired(Copy copy, DateTimeOffset now) => now >= copy.ExpiresAt;

    private readonly record struct Copy(byte[] Compressed, DateTimeOffset ExpiresAt);
}
