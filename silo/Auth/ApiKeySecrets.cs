using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Parley.Silo.Auth;

/// <summary>Virtual key secrets: generation and hashing. Only the SHA-256 of a secret is ever stored; the secret is
/// shown once, when it is created.</summary>
public static class ApiKeySecrets
{
    public const string Prefix = "sk-parley-";
    public const int HintLength = 4;

    /// <summary>Longer bearer tokens are rejected without hashing (and bound the stack buffer used to hash).</summary>
    public const int MaxSecretLength = 256;

    private const int SecretRandomBytes = 32;
    private const int IdRandomBytes = 12;

    /// <summary><c>sk-parley-</c> and 43 URL-safe characters (256 random bits).</summary>
    public static string NewSecret()
    {
        Span<byte> random = stackalloc byte[SecretRandomBytes];
        RandomNumberGenerator.Fill(random);
        return Prefix + Base64Url.EncodeToString(random);
    }

    public static string NewUserId() => "user_" + RandomHex();

    public static string NewKeyId() => "key_" + RandomHex();

    /// <summary>The last characters of a secret: enough for a person to tell keys apart, useless to an attacker.</summary>
    public static string Hint(string secret) => secret.Length > HintLength ? secret[^HintLength..] : "";

    /// <summary>Hashes a presented secret without allocating; false when it is empty or too long to be a key.</summary>
    public static bool TryHash(ReadOnlySpan<char> secret, out SecretHash hash)
    {
        hash = default;
        if (secret.IsEmpty || secret.Length > MaxSecretLength)
        {
            return false;
        }
        Span<byte> utf8 = stackalloc byte[MaxSecretLength * 3];
        var length = Encoding.UTF8.GetBytes(secret, utf8);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], digest);
        hash = new SecretHash(
            BinaryPrimitives.ReadUInt64BigEndian(digest),
            BinaryPrimitives.ReadUInt64BigEndian(digest[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(digest[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(digest[24..]));
        return true;
    }

    public static SecretHash Hash(string secret)
        => TryHash(secret, out var hash) ? hash : throw new ArgumentException("Not a valid key secret.", nameof(secret));

    private static string RandomHex()
    {
        Span<byte> random = stackalloc byte[IdRandomBytes];
        RandomNumberGenerator.Fill(random);
        return Convert.ToHexStringLower(random);
    }
}

/// <summary>A SHA-256 digest as a value, so the per-request cache lookup needs no string.</summary>
public readonly record struct SecretHash(ulong A, ulong B, ulong C, ulong D)
{
    /// <summary>Lowercase hex: the form stored in the identity store's index.</summary>
    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, A);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[24..], D);
        return Convert.ToHexStringLower(bytes);
    }
}
