namespace Parley.Silo.Cache;

/// <summary>Where cached completions live: Redis in a cluster (shared by every silo), memory when embedded.</summary>
internal interface IResponseCacheStore
{
    ValueTask<CachedResponse?> GetAsync(string key, CancellationToken ct);

    ValueTask SetAsync(string key, CachedResponse value, TimeSpan ttl, CancellationToken ct);
}
