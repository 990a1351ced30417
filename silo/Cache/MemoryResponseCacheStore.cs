using Microsoft.Extensions.Options;

namespace Parley.Silo.Cache;

/// <summary>The embedded store: entries in memory, expired by the injected clock, bounded by MaxMemoryBytes with the
/// least recently used entries evicted first. One lock guards the map and the recency list; every operation under it
/// is O(1) apart from evictions, which each free an entry.</summary>
internal sealed class MemoryResponseCacheStore(IOptions<ResponseCacheOptions> options, TimeProvider timeProvider) : IResponseCacheStore
{
    // Rough cost of an entry beyond its body and strings: the map slot, list node, entry and record objects.
    internal const int EntryOverheadBytes = 160;

    private readonly long _maxBytes = options.Value.MaxMemoryBytes;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    // Most recently used first.
    private readonly LinkedList<Entry> _recency = new();
    private long _bytes;

    /// <summary>Bytes held, as the bound counts them.</summary>
    internal long SizeBytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    internal int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public ValueTask<CachedResponse?> GetAsync(string key, CancellationToken ct)
    {
        var now = timeProvider.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var node))
            {
                return ValueTask.FromResult<CachedResponse?>(null);
            }
            if (node.Value.ExpiresAt <= now)
            {
                RemoveLocked(node);
                return ValueTask.FromResult<CachedResponse?>(null);
            }
            _recency.Remove(node);
            _recency.AddFirst(node);
            return ValueTask.FromResult<CachedResponse?>(node.Value.Response);
        }
    }

    public ValueTask SetAsync(string key, CachedResponse value, TimeSpan ttl, CancellationToken ct)
    {
        var size = SizeOf(key, value);
        var expiresAt = timeProvider.GetUtcNow() + ttl;
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                RemoveLocked(existing);
            }
            if (size > _maxBytes)
            {
                return ValueTask.CompletedTask;
            }
            var node = _recency.AddFirst(new Entry(key, value, expiresAt, size));
            _entries.Add(key, node);
            _bytes += size;
            while (_bytes > _maxBytes)
            {
                RemoveLocked(_recency.Last!);
            }
        }
        return ValueTask.CompletedTask;
    }

    internal static long SizeOf(string key, CachedResponse value)
        => value.Body.Length + (long)(key.Length + value.ContentType.Length) * sizeof(char) + EntryOverheadBytes;

    private void RemoveLocked(LinkedListNode<Entry> node)
    {
        _recency.Remove(node);
        _entries.Remove(node.Value.Key);
        _bytes -= node.Value.Size;
    }

    private sealed record Entry(string Key, CachedResponse Response, DateTimeOffset ExpiresAt, long Size);
}
