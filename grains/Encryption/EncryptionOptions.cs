namespace Parley.Grains.Encryption;

/// <summary>The key ring for encryption at rest, bound from <c>Parley:Encryption</c>. In Kubernetes the keys come from a
/// Secret (environment variables <c>Parley__Encryption__Keys__&lt;id&gt;</c>); they are never logged.</summary>
public sealed class EncryptionOptions
{
    public const string SectionName = "Parley:Encryption";

    /// <summary>Key id → base64 of a 256-bit AES key. Every key that wrote data still stored must stay here; only
    /// <see cref="ActiveKeyId"/> encrypts.</summary>
    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The key new writes use; must be one of <see cref="Keys"/>. Empty only when <see cref="Keys"/> is.</summary>
    public string? ActiveKeyId { get; set; }

    /// <summary>Reads of values written before encryption was turned on (anything not in Parley's envelope) are
    /// accepted as plain text. Off by default: a value in clear where a ciphertext belongs is refused, so nobody with
    /// write access to Redis can slip unauthenticated content in. Turn on only while migrating existing data.</summary>
    public bool AllowUnencryptedReads { get; set; }
}
