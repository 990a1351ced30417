using Microsoft.Extensions.Logging;

namespace Parley.Silo.Cache;

/// <summary>The response cache's log lines. Keys are hashes; no line carries a request or response body.</summary>
internal static partial class ResponseCacheLog
{
    [LoggerMessage(EventId = 2301, Level = LogLevel.Debug, Message = "Response cache hit for {Key}.")]
    public static partial void Hit(ILogger logger, string key);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "Response cache lookup for {Key} failed; answered as a miss.")]
    public static partial void LookupFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Warning, Message = "Response cache store for {Key} failed; the answer was not cached.")]
    public static partial void StoreFailed(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Debug, Message = "Response for {Key} not cached: {Reason}.")]
    public static partial void NotStored(ILogger logger, string key, string reason);

    [LoggerMessage(EventId = 2305, Level = LogLevel.Debug, Message = "Response cache stored {Bytes} bytes for {Key} (TTL {Ttl}).")]
    public static partial void Stored(ILogger logger, string key, int bytes, TimeSpan ttl);

    [LoggerMessage(EventId = 2306, Level = LogLevel.Warning, Message = "Response cache entry {Key} is malformed; treated as a miss.")]
    public static partial void Malformed(ILogger logger, string key);
}
