using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Parley.Silo.Cache;

/// <summary>Exact-match cache of upstream answers. The caller asks <see cref="Begin"/> for a decision once the upstream
/// body is written, looks up, and on a miss records the upstream body while relaying it and stores it after a complete,
/// successful relay. The cache never fails a request: any store error is logged and counts as a miss.</summary>
internal sealed class ResponseCache(
    IResponseCacheStore store,
    IOptions<ResponseCacheOptions> options,
    TimeProvider timeProvider,
    ILogger<ResponseCache> logger)
{
    private static ReadOnlySpan<byte> DoneMarker => "[DONE]"u8;
    // The end of a stream holds "data: [DONE]" and line breaks; this much tail is enough to find it.
    private const int DoneSearchWindow = 32;

    private readonly ResponseCacheOptions _options = options.Value;

    /// <summary>Null when the cache is off for this request: disabled, temperature above the configured maximum, the
    /// conversation carries redacted personal data, or <c>Cache-Control: no-store</c>. Computes the key from the
    /// upstream body (the request as the upstream will see it). <paramref name="temperature"/> is the one the request was
    /// validated with (NaN: not known): above the maximum, the body is not read at all, so a sampling request (every
    /// request by default) does not pay for a pass over a body that may carry a long conversation.</summary>
    public CacheRequest? Begin(IHeaderDictionary requestHeaders, ReadOnlySpan<byte> upstreamBody, double temperature, string userId, bool carriesRedactedData)
    {
        if (!_options.Enabled || carriesRedactedData || temperature > _options.MaxTemperature)
        {
            return null;
        }
        var (noStore, noCache) = ReadCacheControl(requestHeaders.CacheControl);
        if (noStore)
        {
            return null;
        }
        var scope = _options.Scope == ResponseCacheScope.User ? userId : null;
        if (!ResponseCacheKey.TryCompute(upstreamBody, scope, _options.MaxTemperature, out var key, out _))
        {
            return null;
        }
        return new CacheRequest(key, noCache);
    }

    /// <summary>Null on a miss, or when <c>Cache-Control: no-cache</c> asked to skip the lookup. A store failure or a
    /// lookup slower than the operation timeout is logged and answered as a miss.</summary>
    public async ValueTask<CachedResponse?> LookupAsync(CacheRequest request, CancellationToken cancellationToken)
    {
        if (request.SkipLookup)
        {
            return null;
        }
        try
        {
            var lookup = store.GetAsync(request.Key, cancellationToken);
            var found = lookup.IsCompletedSuccessfully
                ? lookup.Result
                : await lookup.AsTask().WaitAsync(_options.OperationTimeout, timeProvider, cancellationToken).ConfigureAwait(false);
            if (found is not null)
            {
                ResponseCacheLog.Hit(logger, request.Key);
            }
            return found;
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away; the caller notices on its next step.
            return null;
        }
        catch (FormatException)
        {
            ResponseCacheLog.Malformed(logger, request.Key);
            return null;
        }
        catch (Exception e)
        {
            ResponseCacheLog.LookupFailed(logger, request.Key, e);
            return null;
        }
    }

    /// <summary>A pass-through over the upstream body that keeps a pooled copy of up to MaxEntryBytes.</summary>
    public RecordingStream Record(CacheRequest request, Stream upstreamBody) => new(upstreamBody, _options.MaxEntryBytes);

    /// <summary>Stores the recording if it saw the end of the body within MaxEntryBytes (and, for a stream, the body
    /// ends with <c>[DONE]</c>), then releases it. Call only after a successful relay. Never throws.</summary>
    public async ValueTask StoreAsync(CacheRequest request, RecordingStream recorded, string contentType, CancellationToken cancellationToken)
    {
        try
        {
            if (NotStoredReason(recorded, contentType) is { } reason)
            {
                ResponseCacheLog.NotStored(logger, request.Key, reason);
                return;
            }
            var body = recorded.Recorded.ToArray();
            recorded.ReleaseRecording();
            var set = store.SetAsync(request.Key, new CachedResponse(contentType, body), _options.Ttl, cancellationToken);
            if (!set.IsCompletedSuccessfully)
            {
                await set.AsTask().WaitAsync(_options.OperationTimeout, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            ResponseCacheLog.Stored(logger, request.Key, body.Length, _options.Ttl);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            ResponseCacheLog.NotStored(logger, request.Key, "the request was cancelled");
        }
        catch (Exception e)
        {
            ResponseCacheLog.StoreFailed(logger, request.Key, e);
        }
        finally
        {
            recorded.ReleaseRecording();
        }
    }

    private static string? NotStoredReason(RecordingStream recorded, string contentType)
    {
        if (recorded.ExceededLimit)
        {
            return "larger than MaxEntryBytes";
        }
        if (!recorded.SawEnd)
        {
            return "the body was not read to its end";
        }
        if (recorded.RecordedLength == 0)
        {
            return "empty body";
        }
        if (contentType.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) && !EndsWithDone(recorded.Recorded))
        {
            return "the stream did not end with [DONE]";
        }
        return null;
    }

    // A stream cut short would otherwise be replayed, truncated, to every identical request until it expires.
    private static bool EndsWithDone(ReadOnlySpan<byte> body)
    {
        var tail = body[Math.Max(0, body.Length - DoneSearchWindow)..].TrimEnd(" \t\r\n"u8);
        return tail.EndsWith(DoneMarker);
    }

    /// <summary>The <c>no-store</c> and <c>no-cache</c> directives, case-insensitive, in any of the header's values.</summary>
    private static (bool NoStore, bool NoCache) ReadCacheControl(StringValues values)
    {
        bool noStore = false, noCache = false;
        foreach (var value in values)
        {
            var rest = value.AsSpan();
            while (!rest.IsEmpty)
            {
                var comma = rest.IndexOf(',');
                var directive = comma < 0 ? rest : rest[..comma];
                rest = comma < 0 ? default : rest[(comma + 1)..];
                var equals = directive.IndexOf('=');
                directive = (equals < 0 ? directive : directive[..equals]).Trim();
                noStore |= directive.Equals("no-store", StringComparison.OrdinalIgnoreCase);
                noCache |= directive.Equals("no-cache", StringComparison.OrdinalIgnoreCase);
            }
        }
        return (noStore, noCache);
    }
}
