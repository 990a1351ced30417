using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Parley.Grains.Encryption;

/// <summary>The AES-256 keys by id, and which one encrypts. <see cref="AesGcm"/> instances are not safe for concurrent
/// use, so each key keeps a small pool of them (made on demand, at most about two per core), sparing a key schedule and
/// a native context per call.</summary>
public sealed class ContentKeyRing : IDisposable
{
    public const int MaxKeyIdLength = 32;
    public const int KeyBytes = 32;

    private readonly Dictionary<string, ContentKey> _keys;
    private readonly Dictionary<string, ContentKey>.AlternateLookup<ReadOnlySpan<char>> _byChars;

    public ContentKeyRing(IReadOnlyDictionary<string, byte[]> keys, string? activeKeyId)
    {
        _keys = new Dictionary<string, ContentKey>(StringComparer.Ordinal);
        foreach (var (id, key) in keys)
        {
            if (!IsValidKeyId(id))
            {
                throw new ArgumentException($"'{id}' is not a valid key id.", nameof(keys));
            }
            if (key.Length != KeyBytes)
            {
                throw new ArgumentException($"Key '{id}' is not {KeyBytes} bytes.", nameof(keys));
            }
            _keys[id] = new ContentKey(id, key);
        }
        _byChars = _keys.GetAlternateLookup<ReadOnlySpan<char>>();
        if (activeKeyId is not null)
        {
            Active = _keys.TryGetValue(activeKeyId, out var active)
                ? active
                : throw new ArgumentException($"The active key '{activeKeyId}' is not in the ring.", nameof(activeKeyId));
        }
    }

    /// <summary>The key new writes use; null when encryption is off (no keys).</summary>
    public ContentKey? Active { get; }

    public IReadOnlyCollection<string> KeyIds => _keys.Keys;

    public static bool IsValidKeyId(string id)
    {
        if (id.Length is 0 or > MaxKeyIdLength)
        {
            return false;
        }
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    public static bool TryDecodeKey(string? base64, out byte[] key)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(base64))
        {
            return false;
        }
        var buffer = new byte[KeyBytes + 3];
        if (!Convert.TryFromBase64String(base64.Trim(), buffer, out var written) || written != KeyBytes)
        {
            CryptographicOperations.ZeroMemory(buffer);
            return false;
        }
        key = buffer.AsSpan(0, KeyBytes).ToArray();
        CryptographicOperations.ZeroMemory(buffer);
        return true;
    }

    /// <summary>The key whose id is the ASCII in <paramref name="id"/>, or null.</summary>
    internal ContentKey? Find(ReadOnlySpan<byte> id)
    {
        Span<char> chars = stackalloc char[MaxKeyIdLength];
        if (id.Length > MaxKeyIdLength)
        {
            return null;
        }
        var n = Encoding.ASCII.GetChars(id, chars);
        return _byChars.TryGetValue(chars[..n], out var key) ? key : null;
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values)
        {
            key.Dispose();
        }
    }

    public sealed class ContentKey : IDisposable
    {
        private readonly byte[] _key;
        private readonly ConcurrentQueue<AesGcm> _pool = new();
        private readonly int _poolLimit = Math.Max(4, 2 * Environment.ProcessorCount);

        internal ContentKey(string id, byte[] key)
        {
            Id = id;
            IdBytes = Encoding.ASCII.GetBytes(id);
            _key = key.ToArray();
        }

        public string Id { get; }

        internal byte[] IdBytes { get; }

        internal AesGcm Rent() => _pool.TryDequeue(out var aes) ? aes : new AesGcm(_key, ContentCipher.TagBytes);

        internal void Return(AesGcm aes)
        {
            if (_pool.Count < _poolLimit)
            {
                _pool.Enqueue(aes);
            }
            else
            {
                aes.Dispose();
            }
        }

        public void Dispose()
        {
            while (_pool.TryDequeue(out var aes))
            {
                aes.Dispose();
            }
            CryptographicOperations.ZeroMemory(_key);
        }
    }
}
