using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Parley.Silo.Auth.Signing;

/// <summary>The signature scheme, version 1: HMAC-SHA256, keyed by the UTF-8 of the key's signing secret, over
/// <c>v1\n&lt;METHOD&gt;\n&lt;path and query as sent&gt;\n&lt;timestamp&gt;\n&lt;nonce&gt;\n&lt;hex SHA-256 of the body&gt;</c>,
/// sent as <c>X-Parley-Signature: v1=&lt;hex&gt;</c> beside <c>X-Parley-Timestamp</c> (Unix seconds) and
/// <c>X-Parley-Nonce</c>. See docs/auth.md for a worked example.</summary>
public static class RequestSignature
{
    public const string TimestampHeader = "X-Parley-Timestamp";
    public const string NonceHeader = "X-Parley-Nonce";
    public const string SignatureHeader = "X-Parley-Signature";
    public const string Version = "v1";

    /// <summary>How far a timestamp may be from the silo's clock, either way.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public const int MinNonceLength = 16;
    public const int MaxNonceLength = 128;

    /// <summary>The text that is signed.</summary>
    public static string CanonicalString(string method, string target, long timestamp, string nonce, ReadOnlySpan<byte> bodySha256)
        => string.Join('\n', Version, method.ToUpperInvariant(), target, timestamp.ToString(CultureInfo.InvariantCulture), nonce,
            Convert.ToHexStringLower(bodySha256));

    /// <summary>The header value for a request: <c>v1=&lt;hex&gt;</c>.</summary>
    public static string Sign(ReadOnlySpan<byte> key, string canonicalString)
        => Version + "=" + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(canonicalString)));

    /// <summary>A nonce is 16 to 128 characters of letters, digits, <c>-</c> and <c>_</c>.</summary>
    public static bool IsValidNonce(ReadOnlySpan<char> nonce)
    {
        if (nonce.Length is < MinNonceLength or > MaxNonceLength)
        {
            return false;
        }
        foreach (var c in nonce)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Parses <c>v1=&lt;64 hex digits&gt;</c> into <paramref name="mac"/> (32 bytes).</summary>
    public static bool TryParseSignature(ReadOnlySpan<char> header, Span<byte> mac)
    {
        if (!header.StartsWith(Version + "=", StringComparison.Ordinal))
        {
            return false;
        }
        var hex = header[(Version.Length + 1)..];
        return hex.Length == 2 * HMACSHA256.HashSizeInBytes
            && Convert.FromHexString(hex, mac, out _, out var written) == System.Buffers.OperationStatus.Done
            && written == HMACSHA256.HashSizeInBytes;
    }
}
