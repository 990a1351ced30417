using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Parley.Silo.Cache;
using Parley.Testing;

namespace Parley.Silo.Tests.Cache;

/// <summary>Builds a <see cref="ResponseCache"/> over a given store, and request inputs for it.</summary>
internal static class CacheTestKit
{
    public const string UserA = "user_a";
    public const string UserB = "user_b";
    public const string Json = "application/json";
    public const string EventStream = "text/event-stream";

    public static ResponseCache Create(ResponseCacheOptions? options = null, IResponseCacheStore? store = null, TimeProvider? time = null)
    {
        options ??= new ResponseCacheOptions();
        time ??= new ManualTimeProvider();
        store ??= new MemoryResponseCacheStore(Options.Create(options), time);
        return new ResponseCache(store, Options.Create(options), time, NullLogger<ResponseCache>.Instance);
    }

    public static IHeaderDictionary Headers(params string[] cacheControl)
    {
        IHeaderDictionary headers = new HeaderDictionary();
        if (cacheControl.Length > 0)
        {
            headers.CacheControl = cacheControl;
        }
        return headers;
    }

    /// <summary><see cref="ResponseCache.Begin"/> with the temperature not known beforehand: decided from the body alone.</summary>
    public static CacheRequest? Begin(this ResponseCache cache, string body, string userId = UserA, bool redacted = false, params string[] cacheControl)
        => cache.Begin(Headers(cacheControl), Encoding.UTF8.GetBytes(body), double.NaN, userId, redacted);

    /// <summary>The key a body gets under the given scope user (null: global scope).</summary>
    public static string Key(string body, string? scopeUserId = UserA)
    {
        Xunit.Assert.True(ResponseCacheKey.TryCompute(Encoding.UTF8.GetBytes(body), scopeUserId, double.MaxValue, out var key, out _));
        return key;
    }

    /// <summary>Reads <paramref name="stream"/> to its end in small reads, as a relay would.</summary>
    public static async Task<byte[]> DrainAsync(Stream stream, int readSize = 7)
    {
        using var copy = new MemoryStream();
        var buffer = new byte[readSize];
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            copy.Write(buffer, 0, read);
        }
        return copy.ToArray();
    }
}

/// <summary>A store whose every call fails, or never completes: Redis down or hanging.</summary>
internal sealed class BrokenStore(bool hang) : IResponseCacheStore
{
    private readonly TaskCompletionSource _never = new();

    public int Calls { get; private set; }

    public async ValueTask<CachedResponse?> GetAsync(string key, CancellationToken ct)
    {
        Calls++;
        await Fail();
        return null;
    }

    public async ValueTask SetAsync(string key, CachedResponse value, TimeSpan ttl, CancellationToken ct)
    {
        Calls++;
        await Fail();
    }

    private Task Fail() => hang ? _never.Task : Task.FromException(new InvalidOperationException("store down"));
}
