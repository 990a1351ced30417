using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Parley.Grains.Encryption;

/// <summary>Encryption at rest: AES-256-GCM in a small versioned envelope,
/// <c>[0xC1][key id length][key id][nonce 12][tag 16][ciphertext]</c>. The nonce is random (96 bits) for every value.
/// The associated data is the envelope's header (format and key id) followed by the value's <em>place</em>, a string
/// naming where it is stored (e.g. <c>transcript/conv_…</c>), so a value copied to another conversation, file or key
/// fails authentication instead of being read there. 0xC1 can begin neither UTF-8 text, JSON, gzip nor any earlier
/// Parley format, so a value written before encryption was turned on is told apart from an envelope.</summary>
public sealed class ContentCipher : IDisposable
{
    public const byte Format = 0xC1;
    public const int NonceBytes = 12;
    public const int TagBytes = 16;
    private const int StackAssociatedDataBytes = 512;
    private const int NoncesPerFill = 256;

    // Random nonces drawn from the system's generator a few KB at a time: one call costs a system call (several µs on
    // Linux), as much as sealing a whole transcript entry. Nonces are public; only their uniqueness matters, and 96
    // random bits per value keep collisions negligible far beyond any key's lifetime here.
    [ThreadStatic]
    private static byte[]? t_nonces;
    [ThreadStatic]
    private static int t_nonceOffset;

    private readonly ContentKeyRing _ring;
    private readonly bool _allowUnencryptedReads;

    public ContentCipher(ContentKeyRing ring, bool allowUnencryptedReads = false)
    {
        _ring = ring;
        _allowUnencryptedReads = allowUnencryptedReads;
    }

    /// <summary>False when no keys are configured: values are written in clear (a silo on Redis logs a warning at start).</summary>
    public bool Enabled => _ring.Active is not null;

    public string? ActiveKeyId => _ring.Active?.Id;

    public IReadOnlyCollection<string> KeyIds => _ring.KeyIds;

    /// <summary>A cipher that writes in clear and reads only clear values.</summary>
    public static ContentCipher Disabled() => new(new ContentKeyRing(new Dictionary<string, byte[]>(), null), allowUnencryptedReads: true);

    /// <summary>A cipher with one random key that lives as long as the process (the embedded default's in-memory storage).</summary>
    public static ContentCipher CreateEphemeral(string keyId = "ephemeral")
        => new(new ContentKeyRing(new Dictionary<string, byte[]> { [keyId] = RandomNumberGenerator.GetBytes(ContentKeyRing.KeyBytes) }, keyId));

    /// <summary>The stored size of <paramref name="plaintextBytes"/> bytes under the active key.</summary>
    public int ProtectedSize(int plaintextBytes) => _ring.Active is { } key ? HeaderSize(key) + NonceBytes + TagBytes + plaintextBytes : plaintextBytes;

    /// <summary>Whether <paramref name="stored"/> is in Parley's envelope (not whether it decrypts).</summary>
    public static bool IsEnvelope(ReadOnlySpan<byte> stored) => stored.Length > 0 && stored[0] == Format;

    /// <summary>The key id an envelope names, or null for a value that is not one.</summary>
    public static string? KeyIdOf(ReadOnlySpan<byte> stored)
        => IsEnvelope(stored) && stored.Length >= 2 && stored.Length >= 2 + stored[1] ? Encoding.ASCII.GetString(stored.Slice(2, stored[1])) : null;

    /// <summary>Encrypts <paramref name="plaintext"/> for <paramref name="place"/> with the active key; a copy in clear
    /// when encryption is off.</summary>
    public byte[] Protect(ReadOnlySpan<byte> plaintext, string place)
    {
        if (_ring.Active is not { } key)
        {
            return plaintext.ToArray();
        }
        var header = HeaderSize(key);
        var stored = new byte[header + NonceBytes + TagBytes + plaintext.Length];
        stored[0] = Format;
        stored[1] = (byte)key.IdBytes.Length;
        key.IdBytes.CopyTo(stored, 2);
        var nonce = stored.AsSpan(header, NonceBytes);
        NextNonce(nonce);
        var tag = stored.AsSpan(header + NonceBytes, TagBytes);
        var ciphertext = stored.AsSpan(header + NonceBytes + TagBytes);
        var length = AssociatedDataLength(header, place);
        byte[]? rented = null;
        Span<byte> buffer = length <= StackAssociatedDataBytes ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        var aes = key.Rent();
        try
        {
            aes.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData(buffer, stored.AsSpan(0, header), place));
        }
        finally
        {
            key.Return(aes);
            Return(rented);
        }
        return stored;
    }

    /// <summary>As <see cref="Unprotect"/> for a reader that only decodes the value: one that is not an envelope (and may be
    /// read unencrypted) comes back as it is, not copied, so an unencrypted store's reads cost no second copy.</summary>
    public ReadOnlyMemory<byte> Open(ReadOnlyMemory<byte> stored, string place)
        => ReadsInClear(stored.Span) ? stored : Unprotect(stored.Span, place);

    /// <summary>Decrypts a value <see cref="Protect"/> wrote for <paramref name="place"/>. Throws
    /// <see cref="StoredDataUnreadableException"/> when its key is not in the ring, it fails authentication, or it is not
    /// an envelope (unless unencrypted reads are allowed, or encryption is off).</summary>
    public byte[] Unprotect(ReadOnlySpan<byte> stored, string place)
    {
        if (ReadsInClear(stored))
        {
            return stored.ToArray();
        }
        if (!IsEnvelope(stored))
        {
            throw new StoredDataUnreadableException(
                $"The value stored at '{place}' is not encrypted, and {EncryptionOptions.SectionName}:AllowUnencryptedReads is off.");
        }
        if (stored.Length < 2 || stored.Length < 2 + stored[1] + NonceBytes + TagBytes || stored[1] is 0 or > ContentKeyRing.MaxKeyIdLength)
        {
            throw new StoredDataUnreadableException($"The value stored at '{place}' is a truncated or malformed envelope.");
        }
        var idBytes = stored.Slice(2, stored[1]);
        if (_ring.Find(idBytes) is not { } key)
        {
            throw new StoredDataUnreadableException(
                $"The value stored at '{place}' was encrypted with key id '{Encoding.ASCII.GetString(idBytes)}', which is not in {EncryptionOptions.SectionName}:Keys; add that key to every silo.");
        }
        var header = 2 + idBytes.Length;
        var nonce = stored.Slice(header, NonceBytes);
        var tag = stored.Slice(header + NonceBytes, TagBytes);
        var ciphertext = stored[(header + NonceBytes + TagBytes)..];
        var plaintext = new byte[ciphertext.Length];
        var length = AssociatedDataLength(header, place);
        byte[]? rented = null;
        Span<byte> buffer = length <= StackAssociatedDataBytes ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        var aes = key.Rent();
        var ok = true;
        try
        {
            aes.Decrypt(nonce, ciphertext, tag, plaintext, AssociatedData(buffer, stored[..header], place));
        }
        catch (AuthenticationTagMismatchException)
        {
            ok = false;
        }
        finally
        {
            key.Return(aes);
            Return(rented);
        }
        if (!ok)
        {
            throw new StoredDataUnreadableException(
                $"The value stored at '{place}' failed authentication with key '{key.Id}': it was altered, moved from another place, or written with a different key of that id.");
        }
        return plaintext;
    }

    /// <summary>A value that is not an envelope, where values in clear may be read (unencrypted reads allowed, or
    /// encryption off): read as it is.</summary>
    private bool ReadsInClear(ReadOnlySpan<byte> stored) => !IsEnvelope(stored) && (_allowUnencryptedReads || !Enabled);

    public void Dispose() => _ring.Dispose();

    private static int HeaderSize(ContentKeyRing.ContentKey key) => 2 + key.IdBytes.Length;

    private static void NextNonce(Span<byte> nonce)
    {
        var buffer = t_nonces;
        if (buffer is null || t_nonceOffset + NonceBytes > buffer.Length)
        {
            buffer = t_nonces ??= new byte[NonceBytes * NoncesPerFill];
            RandomNumberGenerator.Fill(buffer);
            t_nonceOffset = 0;
        }
        var next = buffer.AsSpan(t_nonceOffset, NonceBytes);
        next.CopyTo(nonce);
        // Never handed out twice: the bytes are cleared once used.
        next.Clear();
        t_nonceOffset += NonceBytes;
    }

    private static int AssociatedDataLength(int header, string place) => header + Encoding.UTF8.GetMaxByteCount(place.Length);

    /// <summary>The associated data: the envelope's header, then the place in UTF-8.</summary>
    private static ReadOnlySpan<byte> AssociatedData(Span<byte> buffer, ReadOnlySpan<byte> header, string place)
    {
        header.CopyTo(buffer);
        return buffer[..(header.Length + Encoding.UTF8.GetBytes(place, buffer[header.Length..]))];
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
