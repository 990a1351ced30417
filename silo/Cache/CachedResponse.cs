namespace Parley.Silo.Cache;

/// <summary>An upstream's successful answer as it arrived: a JSON completion or a complete SSE stream. Shared between
/// requests by the memory store, so the body is never written to.</summary>
internal sealed record CachedResponse(string ContentType, byte[] Body)
{
    private const string EventStreamMediaType = "text/event-stream";

    public bool IsEventStream => ContentType.StartsWith(EventStreamMediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The body as a read-only stream, to replay through the same relay as a live upstream body.</summary>
    public Stream OpenRead() => new MemoryStream(Body, writable: false);
}

/// <summary>One request's cache decision: its key, and whether the caller asked to skip the lookup
/// (<c>Cache-Control: no-cache</c>: the answer is fetched fresh, then stored).</summary>
internal sealed class CacheRequest(string key, bool skipLookup)
{
    public string Key { get; } = key;

    public bool SkipLookup { get; } = skipLookup;
}
