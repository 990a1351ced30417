namespace Parley.Grains.Conversations.Lifecycle;

/// <summary>The activity index of the embedded (single-silo) default. Times are kept in whole milliseconds, as the
/// Redis index keeps them, so both order and cut off identically. The sweep lease is real here too (exclusive per
/// owner, expiring on the injected clock), so both implementations pass one contract.</summary>
public sealed class MemoryConversationActivityIndex(TimeProvider timeProvider) : IConversationActivityIndex
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _lastUsed = new(StringComparer.Ordinal);
    private readonly SortedSet<Entry> _byTime = new(EntryComparer.Instance);
    private string? _leaseOwner;
    private DateTimeOffset _leaseExpires;

    public void Touch(string conversationId, DateTimeOffset lastUsed)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        var ms = lastUsed.ToUnixTimeMilliseconds();
        lock (_lock)
        {
            if (_lastUsed.TryGetValue(conversationId, out var existing))
            {
                // A late or reordered touch never moves a conversation back towards archiving.
                if (existing >= ms)
                {
                    return;
                }
                _byTime.Remove(new Entry(existing, conversationId));
            }
            _lastUsed[conversationId] = ms;
            _byTime.Add(new Entry(ms, conversationId));
        }
    }

    public Task RemoveAsync(string conversationId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(conversationId);
        lock (_lock)
        {
            if (_lastUsed.Remove(conversationId, out var existing))
            {
                _byTime.Remove(new Entry(existing, conversationId));
            }
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> GetIdleAsync(DateTimeOffset idleSince, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var cutoff = idleSince.ToUnixTimeMilliseconds();
        var ids = new List<string>();
        lock (_lock)
        {
            foreach (var entry in _byTime)
            {
                if (entry.UnixMs > cutoff || ids.Count == limit)
                {
                    break;
                }
                ids.Add(entry.Id);
            }
        }
        return Task.FromResult<IReadOnlyList<string>>(ids);
    }

    public Task<IReadOnlyList<ConversationActivity>> GetRecentAsync(int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var recent = new List<ConversationActivity>(Math.Min(limit, 64));
        lock (_lock)
        {
            foreach (var entry in _byTime.Reverse())
            {
                if (recent.Count == limit)
                {
                    break;
                }
                recent.Add(new ConversationActivity(entry.Id, DateTimeOffset.FromUnixTimeMilliseconds(entry.UnixMs)));
            }
        }
        return Task.FromResult<IReadOnlyList<ConversationActivity>>(recent);
    }

    public Task<bool> TryLeaseSweepAsync(string owner, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (_leaseOwner is not null && _leaseOwner != owner && now < _leaseExpires)
            {
                return Task.FromResult(false);
            }
            _leaseOwner = owner;
            _leaseExpires = now + lease;
            return Task.FromResult(true);
        }
    }

    private readonly record struct Entry(long UnixMs, string Id);

    /// <summary>By time, then by id (ordinal), as a Redis sorted set orders equal scores.</summary>
    private sealed class EntryComparer : IComparer<Entry>
    {
        public static readonly EntryComparer Instance = new();

        public int Compare(Entry x, Entry y)
        {
            var byTime = x.UnixMs.CompareTo(y.UnixMs);
            return byTime != 0 ? byTime : string.CompareOrdinal(x.Id, y.Id);
        }
    }
}
