namespace Parley.Silo.Auth.Signing;

/// <summary>The nonces of signed requests already seen: a nonce is claimed once per key within its lifetime, across the
/// cluster, so a captured request replayed to any silo is refused.</summary>
public interface INonceStore
{
    /// <summary>True for the first claim of this key's nonce within <paramref name="lifetime"/>; false for a repeat.</summary>
    ValueTask<bool> TryClaimAsync(string keyId, string nonce, TimeSpan lifetime, CancellationToken cancellationToken);
}
