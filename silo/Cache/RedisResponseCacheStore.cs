using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Options;
using Parley.Grains.Encryption;
using Parley.Grains.Redis;
using StackExchange.Redis;

namespace Parley.Silo.Cache;

/// <summary>The cluster store: one Redis string per entry at <c>&lt;prefix&gt;:cache:&lt;hash&gt;</c>, written with
/// one SET carrying its expiry and read with one GET. Keys carry no hash tag, so entries spread over a Redis Cluster.
/// Value layout: a format byte, the content type's UTF-8 length (2 bytes, big-endian), the content type, the body; all of
/// it sealed by the <see cref="ContentCipher"/> with the entry's key as its place. An entry that does not decrypt is a
/// miss (logged), never an error for the client.</summary>
internal sealed class RedisResponseCacheStore(IRedisConnection connection, IOptions<RedisOptions> redisOptions, ContentCipher cipher) : IResponseCacheStore
{
    private const byte FormatVersion = 1;
    private const int HeaderBytes = 3;

    private readonly string _keyPrefix = redisOptions.Value.KeyPrefix + ":cache:";

    /// <summary>The Redis key holding <paramref name="key"/>'s entry.</summary>
    internal string RedisKey(string key) => _keyPrefix + key;

    public async ValueTask<CachedResponse?> GetAsync(string key, CancellationToken ct)
    {
        var database = (await connection.GetMultiplexerAsync(ct).ConfigureAwait(false)).GetDatabase();
        // StackExchange.Redis 1.2.6 takes no token; the caller bounds the wait.
        var value = await database.StringGetAsync(RedisKey(key)).WaitAsync(ct).ConfigureAwait(false);
        if (value.IsNull)
        {
            return null;
        }
        ReadOnlyMemory<byte> packed;
        try
        {
            packed = cipher.Open((ReadOnlyMemory<byte>)value, PlaceOf(key));
        }
        catch (StoredDataUnreadableException e)
        {
            // Not sealed here, altered, or sealed with a key this silo lacks: to the cache, a malformed entry (a miss).
            throw new FormatException(e.Message, e);
        }
        return Unpack(packed.Span);
    }

    public async ValueTask SetAsync(string key, CachedResponse value, TimeSpan ttl, CancellationToken ct)
    {
        var database = (await connection.GetMultiplexerAsync(ct).ConfigureAwait(false)).GetDatabase();
        await database.StringSetAsync(RedisKey(key), cipher.Protect(Pack(value), PlaceOf(key)), ttl).WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The place (associated data) of a cache entry.</summary>
    internal static string PlaceOf(string key) => "cache/" + key;

    internal static byte[] Pack(CachedResponse value)
    {
        var contentTypeLength = Encoding.UTF8.GetByteCount(value.ContentType);
        if (contentTypeLength > ushort.MaxValue)
        {
            throw new ArgumentException("The content type is too long to cache.", nameof(value));
        }
        var packed = new byte[HeaderBytes + contentTypeLength + value.Body.Length];
        packed[0] = FormatVersion;
        BinaryPrimitives.WriteUInt16BigEndian(packed.AsSpan(1), (ushort)contentTypeLength);
        Encoding.UTF8.GetBytes(value.ContentType, packed.AsSpan(HeaderBytes));
        value.Body.CopyTo(packed.AsSpan(HeaderBytes + contentTypeLength));
        return packed;
    }

    /// <summary>Throws <see cref="FormatException"/> for a value this format did not write.</summary>
    internal static CachedResponse Unpack(ReadOnlySpan<byte> packed)
    {
        if (packed.Length < HeaderBytes || packed[0] != FormatVersion)
        {
            throw new FormatException("Not a response cache entry.");
        }
        var contentTypeLength = BinaryPrimitives.ReadUInt16BigEndian(packed[1..]);
        if (packed.Length < HeaderBytes + contentTypeLength)
        {
            throw new FormatException("Truncated response cache entry.");
        }
        var contentType = Encoding.UTF8.GetString(packed.Slice(HeaderBytes, contentTypeLength));
        return new CachedResponse(contentType, packed[(HeaderBytes + contentTypeLength)..].ToArray());
    }
}
