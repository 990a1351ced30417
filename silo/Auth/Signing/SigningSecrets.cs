using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Parley.Grains.Encryption;

namespace Parley.Silo.Auth.Signing;

/// <summary>Signing secrets of keys that require signed requests: generated once, shown once, stored sealed by the
/// content cipher under the key's own place (so a sealed secret copied to another key does not open).</summary>
public static class SigningSecrets
{
    public const string Prefix = "ss-parley-";

    private const int RandomBytes = 32;

    /// <summary><c>ss-parley-</c> and 43 URL-safe characters (256 random bits). The HMAC key is this string's UTF-8.</summary>
    public static string NewSecret()
    {
        Span<byte> random = stackalloc byte[RandomBytes];
        RandomNumberGenerator.Fill(random);
        return Prefix + Base64Url.EncodeToString(random);
    }

    public static string Seal(ContentCipher cipher, string keyId, string secret)
        => Convert.ToBase64String(cipher.Protect(Encoding.UTF8.GetBytes(secret), Place(keyId)));

    /// <summary>The HMAC key of a sealed secret. Throws <see cref="StoredDataUnreadableException"/> when it does not open.</summary>
    public static byte[] Unseal(ContentCipher cipher, string keyId, string sealedSecret)
    {
        byte[] stored;
        try
        {
            stored = Convert.FromBase64String(sealedSecret);
        }
        catch (FormatException)
        {
            throw new StoredDataUnreadableException($"The signing secret stored at '{Place(keyId)}' is not base64.");
        }
        return cipher.Unprotect(stored, Place(keyId));
    }

    private static string Place(string keyId) => "signing-secret/" + keyId;
}
