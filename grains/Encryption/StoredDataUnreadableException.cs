namespace Parley.Grains.Encryption;

/// <summary>A stored value that cannot be decrypted: its key id is not in the ring, it fails authentication (tampered
/// with, moved to another place, or written with another key of the same id), or it is in clear where a ciphertext
/// belongs. The message names the place and the key id, never key material or content. Serializable by Orleans, so a
/// grain's failure reaches the silo that called it as itself.</summary>
[GenerateSerializer, Alias("parley.stored-data-unreadable")]
public sealed class StoredDataUnreadableException : Exception
{
    public StoredDataUnreadableException()
    {
    }

    public StoredDataUnreadableException(string message)
        : base(message)
    {
    }

    public StoredDataUnreadableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
